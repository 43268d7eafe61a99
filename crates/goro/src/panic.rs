//! Go's panic behaviour: an unrecovered panic in a goroutine prints
//! `panic: <message>` and where the goroutine was spawned, then ends the
//! process with exit status 2.
//!
//! A process-wide panic hook, installed when the first goro runtime starts,
//! tells panics inside goroutines that run under [`Panic::Exit`] apart from
//! all others. For those it stays silent (the goroutine's wrapper prints the
//! Go-style report instead) and records where the panic happened; every other
//! panic goes to the hook that was installed before.
//!
//! [`Panic::Exit`]: crate::Panic::Exit

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::task::Meta;

/// Panics that started under `Panic::Exit` and were neither caught by user
/// code nor turned into an exit yet.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// Set by the first goroutine that reports a panic and ends the process.
static EXITING: AtomicBool = AtomicBool::new(false);

struct Site {
    location: Option<String>,
    backtrace: Backtrace,
}

thread_local! {
    /// Exit-policy panics counted by this thread since its current poll began.
    static STARTED_HERE: Cell<usize> = const { Cell::new(0) };
    /// Where the last exit-policy panic on this thread happened.
    static SITE: RefCell<Option<Site>> = const { RefCell::new(None) };
}

pub(crate) fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| match crate::id::current() {
            Some(current) if current.exit_on_panic => {
                IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
                STARTED_HERE.with(|n| n.set(n.get() + 1));
                let site = Site {
                    location: info.location().map(|l| l.to_string()),
                    backtrace: Backtrace::capture(),
                };
                SITE.with(|s| *s.borrow_mut() = Some(site));
            }
            _ => previous(info),
        }));
    });
}

/// Called after a goroutine's poll returned normally: any exit-policy panic
/// that started during the poll was caught by the goroutine's own code.
#[inline]
pub(crate) fn poll_returned() {
    if IN_FLIGHT.load(Ordering::Relaxed) != 0 {
        let caught = STARTED_HERE.with(|n| n.replace(0));
        if caught != 0 {
            IN_FLIGHT.fetch_sub(caught, Ordering::SeqCst);
            SITE.with(|s| s.borrow_mut().take());
        }
    }
}

/// Whether some goroutine is unwinding towards a Go-style exit right now.
pub(crate) fn exit_in_flight() -> bool {
    IN_FLIGHT.load(Ordering::SeqCst) != 0
}

/// Called by `run` when the main goroutine returned while another goroutine
/// was panicking under `Panic::Exit`: the panic wins, as it began first.
/// Waits for that goroutine to end the process; if it has not after ten
/// seconds (its unwinding is stuck in a destructor), ends it here.
pub(crate) fn wait_for_exit() -> ! {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        std::thread::park_timeout(left);
    }
    std::process::exit(2)
}

/// Prints Go's panic report for the goroutine `meta` and ends the process
/// with status 2. If another goroutine is already doing so, waits for it.
pub(crate) fn exit(meta: &Meta, payload: Box<dyn Any + Send>) -> ! {
    if EXITING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    let site = SITE.with(|s| s.borrow_mut().take());
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "panic: {}\n", message(&*payload));
    let _ = write!(err, "goroutine {}", meta.id);
    if let Some(name) = &meta.name {
        let _ = write!(err, " [{name}]");
    }
    let at = meta.spawned_at;
    let _ = writeln!(err, " spawned at {}:{}", at.file(), at.line());
    if let Some(parent) = meta.parent {
        let _ = writeln!(err, "    created by goroutine {parent}");
    }
    if let Some(site) = site {
        if let Some(location) = site.location {
            let _ = writeln!(err, "    panicked at {location}");
        }
        if site.backtrace.status() == BacktraceStatus::Captured {
            let _ = writeln!(err, "{}", site.backtrace);
        }
    }
    let _ = err.flush();
    drop(err);
    std::process::exit(2)
}

/// The text of a panic payload, as the standard hook prints it.
pub(crate) fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}
