//! The open-file limit: a goro runtime raises the soft limit to the hard
//! one when it starts, as Go's runtime does, so that a server holding a
//! few thousand connections does not fail with "too many open files" under
//! a default soft limit of 1024.
//!
//! The raised limit is inherited by child processes. Go puts the original
//! back in the children it starts; a goro program that starts children
//! which need the old limit (a program using `select(2)`) sets it there
//! itself.
#![allow(unsafe_code)]

use std::sync::Once;

/// Raises the soft open-file limit to the hard one, once per process.
pub(crate) fn raise_open_files() {
    static RAISED: Once = Once::new();
    RAISED.call_once(raise);
}

#[cfg(unix)]
fn raise() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable `rlimit` for the call to fill.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    let wanted = most_allowed(limit.rlim_max);
    if limit.rlim_cur >= wanted {
        return;
    }
    limit.rlim_cur = wanted;
    // SAFETY: `limit` is a valid `rlimit`; a refusal leaves the limit as it
    // was, which is what the program had before goro.
    let _ = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
}

/// The soft limit to ask for, given the hard one: macOS refuses more than
/// `OPEN_MAX` whatever the hard limit says (Go caps it there too).
#[cfg(unix)]
fn most_allowed(hard: libc::rlim_t) -> libc::rlim_t {
    if cfg!(target_vendor = "apple") {
        hard.min(10240)
    } else {
        hard
    }
}

#[cfg(not(unix))]
fn raise() {}
