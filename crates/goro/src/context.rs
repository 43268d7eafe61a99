//! Go's `context`: cancellation, deadlines and request-scoped values that
//! flow from a context to every context derived from it.
//!
//! | Go | goro |
//! | --- | --- |
//! | `context.Background()`, `context.TODO()` | [`background()`], [`todo()`] |
//! | `ctx, cancel := context.WithCancel(parent)` | `let (ctx, cancel) = context::with_cancel(&parent);` |
//! | `context.WithTimeout(parent, d)`, `WithDeadline(parent, t)` | [`with_timeout`], [`with_deadline`] |
//! | `context.WithValue(parent, key, v)`, `ctx.Value(key)` | [`with_value`] (keyed by the value's type), [`Context::value`] |
//! | `<-ctx.Done()` | `ctx.done().recv().await`, or `_ = ctx.done().recv() =>` in [`select!`](crate::select!) |
//! | `ctx.Err()` | [`Context::err`]: `None`, or `Some(Error::Canceled)` / `Some(Error::DeadlineExceeded)` |
//! | `ctx.Deadline()` | [`Context::deadline`] |
//! | `cancel()` | [`Cancel::cancel`] (idempotent) |
//!
//! As in Go, dropping a [`Cancel`] does not cancel: call it when the work
//! is done. Unlike Go, nothing leaks if it is never called: a parent holds
//! its children weakly, and a context that nobody holds any more is freed,
//! its timer stopped.
//!
//! For Tokio code, [`Context::cancelled`] is a plain future that completes
//! when the context is cancelled.
//!
//! # Examples
//!
//! A worker that stops when its context's deadline passes:
//!
//! ```
//! use std::time::Duration;
//! use goro::context::{self, Error};
//!
//! goro::run(async {
//!     let (ctx, _cancel) = context::with_timeout(&context::background(), Duration::from_millis(5));
//!     let (tx, rx) = goro::chan::<u32>(0);
//!     let worker = goro::go!(async move {
//!         loop {
//!             goro::select! {
//!                 v = rx.recv() => println!("work {v:?}"),
//!                 _ = ctx.done().recv() => return ctx.err(),
//!             }
//!         }
//!     });
//!     assert_eq!(worker.await.unwrap(), Some(Error::DeadlineExceeded));
//!     drop(tx);
//! });
//! ```

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::chan::{chan, Receiver, Sender};
use crate::runtime::timers::{self, Alarm, Deliver};

/// Why a context was cancelled: Go's `context.Canceled` and
/// `context.DeadlineExceeded`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// Its [`Cancel`] was called, or a parent's was.
    Canceled,
    /// Its deadline, or a parent's, passed.
    DeadlineExceeded,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Canceled => "context canceled",
            Error::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for Error {}

/// A context: a cancellation signal, maybe a deadline, and values, shared
/// by the goroutines working on one request. Cloning it is cheap; clones
/// are the same context.
#[derive(Clone)]
pub struct Context {
    node: Arc<Node>,
}

struct Node {
    /// Where cancellation comes from: this node's own, or the nearest
    /// cancelable ancestor's (for value contexts).
    source: Arc<Source>,
    deadline: Option<Instant>,
    value: Option<(TypeId, Arc<dyn Any + Send + Sync>)>,
    parent: Option<Context>,
}

/// A cancelable context's state.
struct Source {
    /// Closed when cancelled.
    done: Receiver<()>,
    state: Mutex<State>,
}

struct State {
    err: Option<Error>,
    /// Open until cancelled.
    open: Option<Sender<()>>,
    /// Cancelable contexts derived from this one, by address.
    children: HashMap<usize, Weak<Source>>,
    /// At this many children, those nobody holds are forgotten (twice
    /// the number left at the last time, so that each time pays for
    /// itself).
    prune_at: usize,
    /// Where this one is listed, to leave on cancel.
    parent: Option<Weak<Source>>,
    /// The deadline's timer.
    timer: Option<Arc<Alarm<Expire>>>,
}

impl Source {
    fn new(parent: Option<&Arc<Source>>) -> Arc<Source> {
        let (tx, done) = chan(0);
        let source = Arc::new(Source {
            done,
            state: Mutex::new(State {
                err: None,
                open: Some(tx),
                children: HashMap::new(),
                prune_at: 16,
                parent: parent.map(Arc::downgrade),
                timer: None,
            }),
        });
        if let Some(parent) = parent {
            let err = {
                let mut state = parent.lock();
                if state.err.is_none() {
                    // Forget children nobody holds any more, so that a
                    // long-lived parent's list does not grow.
                    if state.children.len() >= state.prune_at {
                        state.children.retain(|_, child| child.strong_count() > 0);
                        state.prune_at = (2 * state.children.len()).max(16);
                    }
                    state
                        .children
                        .insert(Arc::as_ptr(&source) as usize, Arc::downgrade(&source));
                }
                state.err
            };
            if let Some(err) = err {
                source.cancel(err);
            }
        }
        source
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Cancels this context and every one derived from it, with `err`,
    /// unless it was cancelled already.
    fn cancel(self: &Arc<Source>, err: Error) {
        self.cancel_from(err, false);
    }

    /// `cancel`; `expiring` when called by the deadline's own timer, which
    /// is firing (and disarms itself after).
    ///
    /// As in Go, the whole tree is cancelled under the locks, parent
    /// before child: once any `cancel` returns, whoever cancelled, every
    /// `done()` below is closed. Timers are disarmed, and the parent's
    /// list left, after the locks (a timer fires under its own lock, then
    /// takes these).
    fn cancel_from(self: &Arc<Source>, err: Error, expiring: bool) {
        let mut after = After::default();
        let parent = {
            let mut state = self.lock();
            let own = state.timer.take();
            if !self.cancel_locked(&mut state, err, &mut after) {
                return;
            }
            if !expiring {
                after.timers.extend(own);
            }
            state.parent.take()
        };
        if let Some(parent) = parent.and_then(|parent| parent.upgrade()) {
            parent.lock().children.remove(&(Arc::as_ptr(self) as usize));
        }
        for timer in after.timers {
            timer.disarm(|_, _| ());
        }
        drop(after.children);
    }

    /// Under this context's lock: cancels it and its descendants (whose
    /// timers and handles go to `after`); `false` if it was cancelled
    /// already.
    fn cancel_locked(&self, state: &mut State, err: Error, after: &mut After) -> bool {
        if state.err.is_some() {
            return false;
        }
        state.err = Some(err);
        if let Some(open) = state.open.take() {
            open.close();
        }
        for child in std::mem::take(&mut state.children).into_values() {
            let Some(child) = child.upgrade() else {
                continue;
            };
            {
                let mut child_state = child.lock();
                after.timers.extend(child_state.timer.take());
                child.cancel_locked(&mut child_state, err, after);
                child_state.parent = None;
            }
            after.children.push(child);
        }
        true
    }

    fn err(&self) -> Option<Error> {
        self.lock().err
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(timer) = state.timer.take() {
            timer.disarm(|_, _| ());
        }
    }
}

/// What a cancel does after its locks.
#[derive(Default)]
struct After {
    timers: Vec<Arc<Alarm<Expire>>>,
    /// Dropped last: a context's drop disarms its timer.
    children: Vec<Arc<Source>>,
}

/// A deadline's timer: cancels its context, if it is still alive.
struct Expire(Weak<Source>);

impl Deliver for Expire {
    fn deliver(&mut self) -> bool {
        if let Some(source) = self.0.upgrade() {
            source.cancel_from(Error::DeadlineExceeded, true);
        }
        false
    }
}

/// Cancels its context: Go's `CancelFunc`. Calling it more than once does
/// nothing more. Dropping it does not cancel (as in Go); a context nobody
/// holds any more is freed all the same.
#[must_use = "a context is cancelled by calling `cancel()`; keep the handle until then"]
pub struct Cancel {
    source: Arc<Source>,
}

impl Cancel {
    /// Cancels the context and every context derived from it, with
    /// [`Error::Canceled`], unless it was cancelled already.
    pub fn cancel(&self) {
        self.source.cancel(Error::Canceled);
    }
}

impl fmt::Debug for Cancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.source.err().is_some())
            .finish()
    }
}

/// The empty context: never cancelled, no deadline, no values. Go's
/// `context.Background()`.
pub fn background() -> Context {
    static BACKGROUND: LazyLock<Context> = LazyLock::new(|| Context {
        node: Arc::new(Node {
            source: Source::new(None),
            deadline: None,
            value: None,
            parent: None,
        }),
    });
    BACKGROUND.clone()
}

/// The same as [`background`], for code that has no context yet: Go's
/// `context.TODO()`.
pub fn todo() -> Context {
    background()
}

/// A context cancelled when the returned [`Cancel`] is called or `parent`
/// is cancelled, whichever comes first: Go's `context.WithCancel`.
pub fn with_cancel(parent: &Context) -> (Context, Cancel) {
    derive(parent, parent.node.deadline)
}

/// A context cancelled at `deadline` (with [`Error::DeadlineExceeded`]),
/// when the returned [`Cancel`] is called, or when `parent` is cancelled,
/// whichever comes first: Go's `context.WithDeadline`. A deadline later
/// than the parent's is the parent's.
pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, Cancel) {
    let deadline = match parent.node.deadline {
        Some(earlier) if earlier <= deadline => return with_cancel(parent),
        _ => deadline,
    };
    let (ctx, cancel) = derive(parent, Some(deadline));
    let source = &ctx.node.source;
    if deadline <= Instant::now() {
        source.cancel(Error::DeadlineExceeded);
        return (ctx, cancel);
    }
    let timer = Alarm::new(Expire(Arc::downgrade(source)));
    {
        let mut state = source.lock();
        if state.err.is_none() {
            timer.arm(Some(deadline), None, |_, _| ());
            state.timer = Some(timer);
        }
    }
    (ctx, cancel)
}

/// [`with_deadline`] at `timeout` from now: Go's `context.WithTimeout`. A
/// timeout too long for the clock to hold sets no deadline.
pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, Cancel) {
    match timers::deadline(timeout) {
        Some(deadline) => with_deadline(parent, deadline),
        None => with_cancel(parent),
    }
}

/// A context that carries `value`, found by its type with
/// [`Context::value`] here and in every context derived from this one:
/// Go's `context.WithValue`, with the value's type as the key. It is
/// cancelled with `parent`.
///
/// # Examples
///
/// ```
/// use goro::context;
///
/// #[derive(Debug, PartialEq)]
/// struct RequestId(u64);
///
/// let ctx = context::with_value(&context::background(), RequestId(7));
/// let (child, _cancel) = context::with_cancel(&ctx);
/// assert_eq!(child.value::<RequestId>(), Some(&RequestId(7)));
/// assert_eq!(child.value::<String>(), None);
/// ```
pub fn with_value<T: Send + Sync + 'static>(parent: &Context, value: T) -> Context {
    Context {
        node: Arc::new(Node {
            source: parent.node.source.clone(),
            deadline: parent.node.deadline,
            value: Some((TypeId::of::<T>(), Arc::new(value))),
            parent: Some(parent.clone()),
        }),
    }
}

fn derive(parent: &Context, deadline: Option<Instant>) -> (Context, Cancel) {
    let source = Source::new(Some(&parent.node.source));
    let ctx = Context {
        node: Arc::new(Node {
            source: source.clone(),
            deadline,
            value: None,
            parent: Some(parent.clone()),
        }),
    };
    (ctx, Cancel { source })
}

impl Context {
    /// A channel that closes when the context is cancelled: Go's
    /// `ctx.Done()`. Its receive returns `None` then; as a
    /// [`select!`](crate::select!) branch, `_ = ctx.done().recv() => ..`.
    /// The background context's never closes.
    pub fn done(&self) -> &Receiver<()> {
        &self.node.source.done
    }

    /// Why the context was cancelled, or `None` while it is not: Go's
    /// `ctx.Err()`.
    pub fn err(&self) -> Option<Error> {
        self.node.source.err()
    }

    /// When the context will be cancelled by a deadline, its own or an
    /// ancestor's: Go's `ctx.Deadline()`.
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline
    }

    /// The value of type `T` that this context or the nearest ancestor
    /// carrying one was made with ([`with_value`]): Go's `ctx.Value(key)`.
    pub fn value<T: Send + Sync + 'static>(&self) -> Option<&T> {
        let mut node = &self.node;
        loop {
            if let Some((id, value)) = &node.value {
                if *id == TypeId::of::<T>() {
                    return value.downcast_ref::<T>();
                }
            }
            node = &node.parent.as_ref()?.node;
        }
    }

    /// Cancels this context (one made by [`with_cancel`] and the like) as
    /// its [`Cancel`] would: for goro's own helpers that cancel a context
    /// whose `Cancel` they handed out.
    pub(crate) fn cancel_now(&self) {
        self.node.source.cancel(Error::Canceled);
    }

    /// Completes when the context is cancelled: for code that awaits a
    /// future rather than selecting on a channel (`tokio::select!`,
    /// Tokio's `CancellationToken` style).
    pub async fn cancelled(&self) {
        while self.done().recv().await.is_some() {}
    }
}

impl Default for Context {
    /// The background context.
    fn default() -> Context {
        background()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("err", &self.err())
            .field("deadline", &self.deadline())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_forgets_children_nobody_holds() {
        let (parent, _cancel) = with_cancel(&background());
        for _ in 0..10_000 {
            drop(with_timeout(&parent, Duration::from_secs(3600)));
        }
        let children = parent.node.source.lock().children.len();
        assert!(children <= 16, "{children} children listed");
    }

    #[test]
    fn a_cancelled_child_leaves_its_parents_list() {
        let (parent, _cancel) = with_cancel(&background());
        let (_child, cancel) = with_cancel(&parent);
        assert_eq!(parent.node.source.lock().children.len(), 1);
        cancel.cancel();
        assert_eq!(parent.node.source.lock().children.len(), 0);
    }
}
