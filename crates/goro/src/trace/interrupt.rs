//! Ctrl-C while recording, on Unix: goro's own SIGINT handler, installed
//! only where the program has none (the disposition is the default), and
//! taken out when the recording ends. A program that handles SIGINT
//! itself, before or after the recording starts, keeps its handling: a
//! signal that reaches goro's handler while another handler is installed
//! (one that calls the one before it, as `signal-hook` and Tokio's do) is
//! left to that handler.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::runtime::signal_pipe;

/// The pipe's writing end, for the handler (-1 before there is a pipe).
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
/// Interrupts seen since goro's handler was last installed.
static SEEN: AtomicUsize = AtomicUsize::new(0);
/// Serialises installing and taking out the handler.
static LOCK: Mutex<()> = Mutex::new(());

/// The handler: one byte down the pipe; the listener thread does the rest.
extern "C" fn on_sigint(_: libc::c_int) {
    signal_pipe::write_byte(&WRITE_FD);
}

fn handler_address() -> libc::sighandler_t {
    on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t
}

/// SIGINT's current disposition.
fn current() -> Option<libc::sighandler_t> {
    signal_pipe::disposition(libc::SIGINT)
}

/// Sets SIGINT's disposition to `handler`.
fn set(handler: libc::sighandler_t) -> bool {
    signal_pipe::set_disposition(libc::SIGINT, handler)
}

/// Whether goro's handler is the installed one.
fn installed() -> bool {
    current() == Some(handler_address())
}

/// The recording starts: installs goro's handler if SIGINT has its
/// default disposition.
pub(crate) fn arm() {
    let _lock = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    if current() != Some(libc::SIG_DFL) || !listener_started() {
        return;
    }
    SEEN.store(0, Ordering::SeqCst);
    set(handler_address());
}

/// The recording ends: takes goro's handler out, if it is still the
/// installed one (a handler installed since is the program's to keep), and
/// unless a Ctrl-C is what ends it (a second one must still exit at once).
pub(crate) fn disarm() {
    let _lock = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    if installed() && SEEN.load(Ordering::SeqCst) == 0 {
        set(libc::SIG_DFL);
    }
}

/// Starts, once, the thread that acts on the handler's bytes (`on_byte`);
/// `false` if it could not.
fn listener_started() -> bool {
    static STARTED: OnceLock<bool> = OnceLock::new();
    *STARTED.get_or_init(|| {
        signal_pipe::listen("goro-trace-ctrl-c", None, &WRITE_FD, on_byte)
            .map_err(|err| eprintln!("goro: could not listen for Ctrl-C to write the trace: {err}"))
            .is_ok()
    })
}

/// The first Ctrl-C writes the recording and exits (`interrupted`);
/// writing takes a while, so a second one exits at once.
fn on_byte() {
    if !installed() {
        // Another handler owns SIGINT now and called goro's: the program
        // handles its Ctrl-C.
        return;
    }
    if SEEN.fetch_add(1, Ordering::SeqCst) > 0 {
        std::process::exit(130);
    }
    super::interrupted();
}
