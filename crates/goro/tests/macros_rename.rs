//! The macros work when goro is renamed or re-exported.

extern crate goro as renamed_goro;

mod reexport {
    pub(crate) use renamed_goro::go;
}

fn triple(x: u32) -> u32 {
    x * 3
}

#[renamed_goro::test(crate = "renamed_goro")]
async fn go_works_through_a_renamed_crate_and_a_reexport() {
    let a = renamed_goro::go!(triple(2));
    let b = reexport::go!(async { 1 });
    assert_eq!(a.await.unwrap() + b.await.unwrap(), 7);
}

#[renamed_goro::test(crate = "renamed_goro", worker_threads = 2, panic = "isolate")]
async fn test_options_apply() {
    assert_eq!(renamed_goro::gomaxprocs(), 2);
    let err = renamed_goro::go!(async { panic!("isolated") })
        .await
        .unwrap_err();
    assert!(err.is_panic());
}
