//! Go's `os/signal` on Unix: [`notify`] delivers incoming signals on a
//! channel, [`notify_context`] cancels a context on the first one. Built on
//! Tokio's signal handling, so it works beside Tokio's and `signal-hook`'s
//! handlers; goro's own Ctrl-C handler of a `GORO_TRACE` recording and its
//! SIGQUIT dump step aside for a signal the program asks for.
//!
//! # Examples
//!
//! Go by Example's "Signals", which waits for Ctrl-C or SIGTERM:
//!
//! ```no_run
//! use goro::signal::{self, Signal};
//!
//! #[goro::main]
//! async fn main() {
//!     let sigs = signal::notify(&[Signal::Interrupt, Signal::Terminate]);
//!     let (done_tx, done) = goro::chan::<bool>(1);
//!     goro::go!(async move {
//!         let sig = sigs.recv().await.unwrap();
//!         println!();
//!         println!("{sig}");
//!         done_tx.send(true).await.unwrap();
//!     });
//!     println!("awaiting signal");
//!     done.recv().await;
//!     println!("exiting");
//! }
//! ```

use std::fmt;
use std::future::poll_fn;
use std::task::Poll;

use tokio::signal::unix::{signal, SignalKind};

use crate::chan::{chan, Receiver, Sender};
use crate::context::{self, Cancel, Context};

/// A Unix signal, named as Go's `syscall` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// SIGINT (Ctrl-C): Go's `os.Interrupt`.
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP.
    Hangup,
    /// SIGQUIT (Ctrl-\\). Asking for it turns goro's goroutine dump off.
    Quit,
    /// SIGUSR1.
    User1,
    /// SIGUSR2.
    User2,
    /// SIGCHLD.
    Child,
    /// SIGALRM.
    Alarm,
    /// SIGPIPE.
    Pipe,
    /// SIGWINCH.
    WindowChange,
    /// Any other, by number.
    Other(i32),
}

impl Signal {
    /// The signal's number.
    pub fn number(self) -> i32 {
        match self {
            Signal::Interrupt => libc::SIGINT,
            Signal::Terminate => libc::SIGTERM,
            Signal::Hangup => libc::SIGHUP,
            Signal::Quit => libc::SIGQUIT,
            Signal::User1 => libc::SIGUSR1,
            Signal::User2 => libc::SIGUSR2,
            Signal::Child => libc::SIGCHLD,
            Signal::Alarm => libc::SIGALRM,
            Signal::Pipe => libc::SIGPIPE,
            Signal::WindowChange => libc::SIGWINCH,
            Signal::Other(n) => n,
        }
    }
}

impl fmt::Display for Signal {
    /// As Go prints a signal: `interrupt`, `terminated`, `hangup`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signal::Interrupt => f.write_str("interrupt"),
            Signal::Terminate => f.write_str("terminated"),
            Signal::Hangup => f.write_str("hangup"),
            Signal::Quit => f.write_str("quit"),
            Signal::User1 => f.write_str("user defined signal 1"),
            Signal::User2 => f.write_str("user defined signal 2"),
            Signal::Child => f.write_str("child exited"),
            Signal::Alarm => f.write_str("alarm clock"),
            Signal::Pipe => f.write_str("broken pipe"),
            Signal::WindowChange => f.write_str("window changed"),
            Signal::Other(n) => write!(f, "signal {n}"),
        }
    }
}

/// A channel that receives each of `signals` as it arrives: Go's
/// `signal.Notify`. From the call on, those signals no longer have their
/// default effect (Ctrl-C no longer ends the program). The channel holds
/// one pending signal of each kind asked for; one that arrives while its
/// kind is pending is dropped, as Go drops a signal for a full channel.
/// Dropping every receiver stops the delivery, but, as with Tokio's
/// signals that it is built on, the signals' default effects do not come
/// back for the rest of the process (Go's `signal.Stop` restores them).
///
/// # Panics
///
/// Panics if a signal cannot be handled (SIGKILL, SIGSTOP, or a number
/// that is no signal), naming it.
pub fn notify(signals: &[Signal]) -> Receiver<Signal> {
    let (tx, rx) = chan(signals.len().max(1));
    let (handle, _, _) = crate::spawn::runtime();
    let mut streams = Vec::with_capacity(signals.len());
    for &sig in signals {
        match signal_stream(&handle, sig) {
            Ok(stream) => streams.push((sig, stream)),
            Err(err) => panic!(
                "goro::signal::notify: cannot handle {sig} ({}): {err}",
                sig.number()
            ),
        }
    }
    listen(&handle, tx, streams);
    rx
}

/// A context derived from `parent` that is cancelled when one of `signals`
/// arrives (or `parent` is cancelled, or its [`Cancel`] is called): Go's
/// `signal.NotifyContext`.
///
/// # Panics
///
/// As [`notify`].
pub fn notify_context(parent: &Context, signals: &[Signal]) -> (Context, Cancel) {
    let (ctx, cancel) = context::with_cancel(parent);
    let sigs = notify(signals);
    let watched = ctx.clone();
    on_runtime(async move {
        crate::select! {
            _ = sigs.recv() => watched.cancel_now(),
            _ = watched.done().recv() => {}
        }
    });
    (ctx, cancel)
}

fn signal_stream(
    handle: &tokio::runtime::Handle,
    sig: Signal,
) -> std::io::Result<tokio::signal::unix::Signal> {
    let _enter = handle.enter();
    signal(SignalKind::from_raw(sig.number()))
}

/// A Tokio task (no goroutine) that forwards the signals until the
/// channel's receivers are gone.
fn listen(
    handle: &tokio::runtime::Handle,
    tx: Sender<Signal>,
    mut streams: Vec<(Signal, tokio::signal::unix::Signal)>,
) {
    drop(handle.spawn(async move {
        poll_fn(|cx| {
            if tx.when_gone(cx.waker()) {
                return Poll::Ready(());
            }
            for (sig, stream) in &mut streams {
                while let Poll::Ready(Some(())) = stream.poll_recv(cx) {
                    let _ = tx.try_send(*sig);
                }
            }
            Poll::Pending
        })
        .await;
    }));
}

fn on_runtime(task: impl std::future::Future<Output = ()> + Send + 'static) {
    let (handle, _, _) = crate::spawn::runtime();
    drop(handle.spawn(task));
}
