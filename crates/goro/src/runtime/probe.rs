//! Whether the system lets a runtime start its worker threads. Tokio's
//! `Builder::build` panics when it cannot start one, and then hangs in its
//! own cleanup, waiting for the workers that did start to stop, which
//! nothing tells them to. So before building, goro starts as many threads
//! as the runtime will have workers, all alive at once and each with a
//! worker's stack, and builds only if they all started. Limits that refuse
//! threads (`RLIMIT_NPROC`, a cgroup's `pids.max`, address space for the
//! stacks) refuse these the same way, and the caller gets an error instead
//! of a hang.

use std::io;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// Tokio's default stack size for its threads.
pub(crate) const WORKER_STACK: usize = 2 * 1024 * 1024;

/// Starts `n` threads with `stack` bytes of stack each, keeps them alive
/// until the last has started, then ends them; the error of the first that
/// could not start, saying how many did.
pub(crate) fn start_threads(n: usize, stack: usize) -> io::Result<()> {
    let release = Arc::new((Mutex::new(false), Condvar::new()));
    let mut started = Vec::with_capacity(n);
    let mut refused = None;
    for _ in 0..n {
        let release = release.clone();
        let spawned = std::thread::Builder::new()
            .name("goro-probe".into())
            .stack_size(stack)
            .spawn(move || {
                let (released, wake) = &*release;
                let mut released = released.lock().unwrap_or_else(PoisonError::into_inner);
                while !*released {
                    released = wake.wait(released).unwrap_or_else(PoisonError::into_inner);
                }
            });
        match spawned {
            Ok(thread) => started.push(thread),
            Err(err) => {
                refused = Some(err);
                break;
            }
        }
    }
    {
        let (released, wake) = &*release;
        *released.lock().unwrap_or_else(PoisonError::into_inner) = true;
        wake.notify_all();
    }
    let count = started.len();
    for thread in started {
        let _ = thread.join();
    }
    match refused {
        None => Ok(()),
        Some(err) => Err(io::Error::new(
            err.kind(),
            format!(
                "the system refused to start {n} worker threads (it started {count}): {err}; \
                 lower GOMAXPROCS or Builder::worker_threads"
            ),
        )),
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;

    #[test]
    fn threads_that_can_start_start_and_end() {
        start_threads(4, WORKER_STACK).unwrap();
    }

    #[test]
    fn a_thread_that_cannot_start_is_an_error_naming_the_count() {
        // A stack as large as a process's whole address space.
        let err = start_threads(2, 1 << 47).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("refused to start 2 worker threads (it started 0)"),
            "{text}"
        );
    }
}
