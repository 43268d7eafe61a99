//! SIGQUIT (Ctrl-\) prints the goroutine dump to stderr and exits with
//! status 2, as Go does. Installed when a goro runtime starts, only where
//! the program has no SIGQUIT handling of its own (the disposition is the
//! default) and has not turned it off (`GORO_SIGQUIT=off`,
//! `Builder::quit_dump(false)`); a handler the program installs later
//! replaces goro's. The handler only writes a byte down a pipe; a thread
//! asleep in `read` prints the dump and exits.
#![allow(unsafe_code)]

use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::runtime::panic;

/// The pipe's writing end, for the handler (-1 before there is a pipe).
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
/// Serialises installing the handler; whether it was tried.
static ARMED: Mutex<bool> = Mutex::new(false);

extern "C" fn on_sigquit(_: libc::c_int) {
    let fd = WRITE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: `write` is async-signal-safe, and `byte` outlives the
        // call; a full pipe means the listener has a byte to wake on.
        unsafe { libc::write(fd, std::ptr::from_ref(&byte).cast(), 1) };
    }
}

fn handler_address() -> libc::sighandler_t {
    on_sigquit as extern "C" fn(libc::c_int) as libc::sighandler_t
}

/// SIGQUIT's current disposition.
fn current() -> Option<libc::sighandler_t> {
    // SAFETY: a zeroed `sigaction` is a valid value to be overwritten, and
    // a null new action only reads the current one.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        (libc::sigaction(libc::SIGQUIT, std::ptr::null(), &mut old) == 0)
            .then_some(old.sa_sigaction)
    }
}

/// Installs goro's SIGQUIT handling, once per process, if SIGQUIT has its
/// default disposition.
pub(crate) fn arm() {
    let mut armed = ARMED.lock().unwrap_or_else(PoisonError::into_inner);
    if *armed || current() != Some(libc::SIG_DFL) {
        return;
    }
    *armed = true;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    let [read_fd, write_fd] = fds;
    let listener = std::thread::Builder::new()
        .name("goro-sigquit".into())
        .stack_size(64 * 1024)
        .spawn(move || listen(read_fd));
    if listener.is_err() {
        // SAFETY: both descriptors are ours and used by nothing else.
        unsafe {
            libc::close(read_fd);
            libc::close(write_fd);
        }
        return;
    }
    WRITE_FD.store(write_fd, Ordering::SeqCst);
    // SAFETY: the action is fully initialised (zeroed, then an empty mask,
    // the handler and `SA_RESTART`), and `on_sigquit` is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_sigaction = handler_address();
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGQUIT, &action, std::ptr::null_mut());
    }
}

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
        if current() != Some(handler_address()) {
            // The program's own handler called goro's: its handling wins.
            continue;
        }
        let dump = crate::dump::dump();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "SIGQUIT: quit\n\n{dump}");
        let _ = err.flush();
        drop(err);
        panic::exit_process(2);
    }
}
