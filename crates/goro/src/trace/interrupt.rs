//! Ctrl-C while recording, on Unix: goro's own SIGINT handler, installed
//! only where the program has none (the disposition is the default), and
//! taken out when the recording ends. A program that handles SIGINT
//! itself, before or after the recording starts, keeps its handling: a
//! signal that reaches goro's handler while another handler is installed
//! (one that calls the one before it, as `signal-hook` and Tokio's do) is
//! left to that handler.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// The pipe's writing end, for the handler (-1 before there is a pipe).
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
/// Interrupts seen since goro's handler was last installed.
static SEEN: AtomicUsize = AtomicUsize::new(0);
/// Serialises installing and taking out the handler.
static LOCK: Mutex<()> = Mutex::new(());

/// The handler: one byte down the pipe, which is all a signal handler may
/// safely do here; the listener thread does the rest.
extern "C" fn on_sigint(_: libc::c_int) {
    let fd = WRITE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: `write` is async-signal-safe, and `byte` outlives the
        // call; a failed write (a full pipe) loses nothing that matters, as
        // the listener needs only to wake.
        unsafe { libc::write(fd, std::ptr::from_ref(&byte).cast(), 1) };
    }
}

fn handler_address() -> libc::sighandler_t {
    on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t
}

/// SIGINT's current disposition.
fn current() -> Option<libc::sighandler_t> {
    // SAFETY: a zeroed `sigaction` is a valid value to be overwritten, and
    // a null new action only reads the current one.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        (libc::sigaction(libc::SIGINT, std::ptr::null(), &mut old) == 0).then_some(old.sa_sigaction)
    }
}

/// Sets SIGINT's disposition to `handler`.
fn set(handler: libc::sighandler_t) -> bool {
    // SAFETY: the action is fully initialised (zeroed, then an empty mask,
    // the handler and `SA_RESTART`), and `on_sigint` is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_sigaction = handler;
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut()) == 0
    }
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

/// Starts, once, the thread that acts on the handler's bytes; `false` if
/// it could not.
fn listener_started() -> bool {
    static STARTED: OnceLock<bool> = OnceLock::new();
    *STARTED.get_or_init(|| {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` has room for the two descriptors `pipe` writes.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            eprintln!("goro: could not listen for Ctrl-C to write the trace");
            return false;
        }
        let [read_fd, write_fd] = fds;
        let listener = std::thread::Builder::new()
            .name("goro-trace-ctrl-c".into())
            .spawn(move || listen(read_fd));
        if let Err(err) = listener {
            eprintln!("goro: could not listen for Ctrl-C to write the trace: {err}");
            return false;
        }
        WRITE_FD.store(write_fd, Ordering::SeqCst);
        true
    })
}

/// The first Ctrl-C writes the recording and exits (`interrupted`);
/// writing takes a while, so a second one exits at once.
fn listen(read_fd: libc::c_int) {
    loop {
        let mut byte = 0u8;
        // SAFETY: `byte` is one writable byte, and `read_fd` is the pipe's
        // reading end, which nothing closes.
        let read = unsafe { libc::read(read_fd, std::ptr::from_mut(&mut byte).cast(), 1) };
        if read <= 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if !installed() {
            // Another handler owns SIGINT now and called goro's: the
            // program handles its Ctrl-C.
            continue;
        }
        if SEEN.fetch_add(1, Ordering::SeqCst) > 0 {
            std::process::exit(130);
        }
        super::interrupted();
    }
}
