//! The compile errors users see when they misuse goro's macros, pinned with
//! trybuild (`TRYBUILD=overwrite cargo test --test macros_ui` refreshes them
//! after a deliberate change).

#[test]
fn misuse_is_a_clear_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
