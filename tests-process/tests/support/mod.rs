//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)] // each test file uses a part of it

pub mod process;
