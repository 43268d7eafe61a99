//! Only tests here: see Cargo.toml.
