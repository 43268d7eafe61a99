//! Which runtime a spawn goes to: the goro runtime this thread belongs to,
//! else the Tokio runtime it is inside, else the process-wide goro runtime.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use tokio::runtime::{Handle, Runtime};

use crate::builder::Builder;

/// What goro knows about a runtime beyond Tokio's handle.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) exit_on_panic: bool,
    pub(crate) workers: usize,
    /// Whether a main goroutine runs on the thread that called `run`.
    pub(crate) has_main: bool,
}

/// A Tokio runtime not made by goro behaves as Tokio does.
static FOREIGN: Settings = Settings {
    exit_on_panic: false,
    workers: 0,
    has_main: false,
};

thread_local! {
    static RUNTIME: RefCell<Option<(Handle, Arc<Settings>)>> = const { RefCell::new(None) };
}

/// Marks the current thread as one of a goro runtime's threads.
pub(crate) fn set_thread(handle: Handle, settings: Arc<Settings>) {
    RUNTIME.with_borrow_mut(|rt| *rt = Some((handle, settings)));
}

pub(crate) fn clear_thread() {
    // Take the value out first so that its drop runs with no borrow held.
    let old = RUNTIME.with_borrow_mut(Option::take);
    drop(old);
}

/// Makes the calling thread part of a runtime until dropped (for `run`'s main
/// goroutine, which runs on the caller's thread).
pub(crate) struct EnterThread {
    prev: Option<(Handle, Arc<Settings>)>,
}

impl EnterThread {
    pub(crate) fn new(handle: Handle, settings: Arc<Settings>) -> EnterThread {
        let prev = RUNTIME.with_borrow_mut(|rt| rt.replace((handle, settings)));
        EnterThread { prev }
    }
}

impl Drop for EnterThread {
    fn drop(&mut self) {
        let mine = RUNTIME.with_borrow_mut(|rt| std::mem::replace(rt, self.prev.take()));
        drop(mine);
    }
}

/// Calls `f` with the runtime a goroutine started here should run on.
pub(crate) fn with_runtime<R>(f: impl FnOnce(&Handle, &Settings) -> R) -> R {
    RUNTIME.with_borrow(|rt| match rt {
        Some((handle, settings)) => f(handle, settings),
        None => match Handle::try_current() {
            Ok(handle) => f(&handle, &FOREIGN),
            Err(_) => {
                let global = global();
                f(global.runtime.handle(), &global.settings)
            }
        },
    })
}

/// Whether the calling thread is inside any runtime, goro's or Tokio's.
pub(crate) fn inside_runtime() -> bool {
    RUNTIME.with_borrow(Option::is_some) || Handle::try_current().is_ok()
}

struct Global {
    runtime: Runtime,
    settings: Arc<Settings>,
}

/// The process-wide runtime that goroutines started outside any runtime run
/// on. It starts on first use, with the default [`Builder`] (so `GOMAXPROCS`
/// applies), and lives as long as the process.
fn global() -> &'static Global {
    static GLOBAL: OnceLock<Global> = OnceLock::new();
    GLOBAL.get_or_init(|| match Builder::new().build(false) {
        Ok((runtime, settings)) => Global { runtime, settings },
        Err(err) => crate::builder::fail_to_start(&err),
    })
}
