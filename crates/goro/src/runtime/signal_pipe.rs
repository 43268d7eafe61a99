//! What goro's own signal handlers share (SIGINT while recording a trace,
//! SIGQUIT for the goroutine dump): reading and setting a signal's
//! disposition, and a pipe whose reading end a thread of goro's waits on.
//! A handler may do little more than write a byte (`write_byte`); the
//! thread does the rest.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicI32, Ordering};

/// The handler's half: one byte down the pipe whose writing end is in `fd`
/// (-1 before there is a pipe). Async-signal-safe.
pub(crate) fn write_byte(fd: &AtomicI32) {
    let fd = fd.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: `write` is async-signal-safe, and `byte` outlives the
        // call; a failed write (a full pipe) loses nothing, as the listener
        // has a byte to wake on already.
        unsafe { libc::write(fd, std::ptr::from_ref(&byte).cast(), 1) };
    }
}

/// `signal`'s current disposition.
pub(crate) fn disposition(signal: libc::c_int) -> Option<libc::sighandler_t> {
    // SAFETY: a zeroed `sigaction` is a valid value to be overwritten, and
    // a null new action only reads the current one.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        (libc::sigaction(signal, std::ptr::null(), &mut old) == 0).then_some(old.sa_sigaction)
    }
}

/// Sets `signal`'s disposition to `handler` (with `SA_RESTART`), which
/// must be async-signal-safe.
pub(crate) fn set_disposition(signal: libc::c_int, handler: libc::sighandler_t) -> bool {
    // SAFETY: the action is fully initialised (zeroed, then an empty mask,
    // the handler and `SA_RESTART`); the caller's handler is
    // async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_sigaction = handler;
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(signal, &action, std::ptr::null_mut()) == 0
    }
}

/// Makes a pipe, starts a thread named `name` (with `stack` bytes of
/// stack, or the default) that runs `on_byte` for each byte read from it,
/// and stores the pipe's writing end in `fd` for the handler.
pub(crate) fn listen(
    name: &str,
    stack: Option<usize>,
    fd: &AtomicI32,
    mut on_byte: impl FnMut() + Send + 'static,
) -> std::io::Result<()> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe` writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let [read_fd, write_fd] = fds;
    let mut thread = std::thread::Builder::new().name(name.into());
    if let Some(stack) = stack {
        thread = thread.stack_size(stack);
    }
    let started = thread.spawn(move || {
        // goro's: asleep until the signal comes, then it ends the process.
        super::threads::enter();
        loop {
            let mut byte = 0u8;
            // SAFETY: `byte` is one writable byte, and `read_fd` is the
            // pipe's reading end, which nothing closes.
            let read = unsafe { libc::read(read_fd, std::ptr::from_mut(&mut byte).cast(), 1) };
            if read <= 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                break;
            }
            on_byte();
        }
        super::threads::leave();
    });
    if let Err(err) = started {
        // SAFETY: both descriptors are ours, and nothing else uses them.
        unsafe {
            libc::close(read_fd);
            libc::close(write_fd);
        }
        return Err(err);
    }
    fd.store(write_fd, Ordering::SeqCst);
    Ok(())
}
