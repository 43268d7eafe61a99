//! The process's threads that goro knows to run nothing of the program's
//! but goroutines: goro runtimes' worker and blocking-pool threads, the
//! threads waiting in `run` for their main goroutine, and goro's own
//! helpers. A thread the program started itself may send on a channel any
//! time (`send_blocking`), so the deadlock report needs every thread of the
//! process known (`all_known`).
//!
//! Each thread says so itself, while it lives, by its kernel thread id:
//! the set never holds a thread that has ended, nor one that is not yet
//! known to be goro's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

/// The kernel ids of the known threads, each with how many times it said
/// so (a thread may wait in `run` on a runtime's thread: never, but it
/// costs nothing to count).
static KNOWN: Mutex<Vec<(i64, u32)>> = Mutex::new(Vec::new());

/// Set in a test binary (`#[goro::test]`): its main thread runs the test
/// harness, which runs no test code (each test runs on a thread of its
/// own), and counts as known.
static HARNESS: AtomicBool = AtomicBool::new(false);

/// The calling thread's kernel id; `None` where goro cannot list threads.
fn own_id() -> Option<i64> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `gettid` takes no arguments and cannot fail.
        #[allow(unsafe_code)]
        let id = unsafe { libc::syscall(libc::SYS_gettid) };
        Some(id)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// The calling thread is goro's until it calls `leave` (a runtime's
/// thread, a helper that runs to the process's end).
pub(crate) fn enter() {
    if let Some(id) = own_id() {
        let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
        match known.iter_mut().find(|(known, _)| *known == id) {
            Some((_, count)) => *count += 1,
            None => known.push((id, 1)),
        }
    }
}

/// The calling thread is no longer goro's (it is about to end).
pub(crate) fn leave() {
    if let Some(id) = own_id() {
        let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = known.iter().position(|(known, _)| *known == id) {
            known[at].1 -= 1;
            if known[at].1 == 0 {
                known.swap_remove(at);
            }
        }
    }
}

/// The calling thread is goro's while this lives (a thread in `run`).
pub(crate) struct Known(());

impl Known {
    pub(crate) fn enter() -> Known {
        enter();
        Known(())
    }
}

impl Drop for Known {
    fn drop(&mut self) {
        leave();
    }
}

/// Marks the process as a test binary: see `HARNESS`.
pub(crate) fn in_test_harness() {
    HARNESS.store(true, Ordering::Relaxed);
}

/// Whether every thread of the process is known; `false` where goro cannot
/// list them (anything but Linux) or the listing fails.
pub(crate) fn all_known() -> bool {
    #[cfg(target_os = "linux")]
    {
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return false;
        };
        let harness = HARNESS
            .load(Ordering::Relaxed)
            .then(|| i64::from(std::process::id()));
        let known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
        for task in tasks {
            let Some(id) = task
                .ok()
                .and_then(|task| task.file_name().to_str()?.parse::<i64>().ok())
            else {
                return false;
            };
            if Some(id) != harness && !known.iter().any(|(known, _)| *known == id) {
                return false;
            }
        }
        true
    }
    #[cfg(not(target_os = "linux"))]
    false
}

#[cfg(all(test, target_os = "linux", not(goro_loom)))]
mod tests {
    use super::*;

    /// A thread nobody said is goro's is unknown until it says so, and
    /// again once it leaves. (Alone: other tests' threads come and go.)
    #[test]
    fn a_thread_is_known_only_while_it_says_so() {
        let _main = Known::enter();
        let (entered_tx, entered_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            entered_tx.send(all_known()).unwrap();
            go_rx.recv().unwrap();
            enter();
            entered_tx.send(all_known()).unwrap();
            go_rx.recv().unwrap();
            leave();
            entered_tx.send(all_known()).unwrap();
            go_rx.recv().unwrap();
        });
        // Other unit tests of this binary may run threads meanwhile: only
        // the unknown answers are certain.
        assert!(!entered_rx.recv().unwrap());
        go_tx.send(()).unwrap();
        let _ = entered_rx.recv().unwrap();
        go_tx.send(()).unwrap();
        assert!(!entered_rx.recv().unwrap());
        go_tx.send(()).unwrap();
        thread.join().unwrap();
    }
}
