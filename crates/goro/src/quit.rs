//! SIGQUIT (Ctrl-\) prints the goroutine dump to stderr and exits with
//! status 2, as Go does. Installed when a goro runtime starts, only where
//! the program has no SIGQUIT handling of its own (the disposition is the
//! default) and has not turned it off (`GORO_SIGQUIT=off`,
//! `Builder::quit_dump(false)`); a handler the program installs later
//! replaces goro's. The handler only writes a byte down a pipe; a thread
//! asleep in `read` prints the dump and exits.
use std::sync::atomic::AtomicI32;
use std::sync::{Mutex, PoisonError};

use crate::runtime::{panic, signal_pipe};

/// The pipe's writing end, for the handler (-1 before there is a pipe).
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
/// Serialises installing the handler; whether it was tried.
static ARMED: Mutex<bool> = Mutex::new(false);

extern "C" fn on_sigquit(_: libc::c_int) {
    signal_pipe::write_byte(&WRITE_FD);
}

fn handler_address() -> libc::sighandler_t {
    on_sigquit as extern "C" fn(libc::c_int) as libc::sighandler_t
}

/// Installs goro's SIGQUIT handling, once per process, if SIGQUIT has its
/// default disposition.
pub(crate) fn arm() {
    let mut armed = ARMED.lock().unwrap_or_else(PoisonError::into_inner);
    if *armed || signal_pipe::disposition(libc::SIGQUIT) != Some(libc::SIG_DFL) {
        return;
    }
    *armed = true;
    if signal_pipe::listen("goro-sigquit", Some(64 * 1024), &WRITE_FD, on_byte).is_ok() {
        signal_pipe::set_disposition(libc::SIGQUIT, handler_address());
    }
}

/// Prints the dump and exits 2, unless the program's own handler took
/// SIGQUIT over (and called goro's).
fn on_byte() {
    if signal_pipe::disposition(libc::SIGQUIT) != Some(handler_address()) {
        return;
    }
    let dump = crate::dump::dump();
    panic::print_and_exit(format_args!("SIGQUIT: quit\n\n{dump}"));
}
