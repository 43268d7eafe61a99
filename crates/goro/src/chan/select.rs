//! The engine behind `select!`: commit exactly one of several channel
//! operations.
//!
//! 1. Try every operation without waiting, in a random order; the first that
//!    can proceed commits (or `default` runs if none can). Without a
//!    `default`, the first pass skips an unbuffered channel whose hint says
//!    no counterpart is queued and it is neither closed nor holding a value:
//!    step 2 checks it again under its lock anyway.
//! 2. Otherwise make one [`Selection`] and queue a waiter for each operation
//!    on its channel. If a channel shows, while queueing, that its operation
//!    could proceed after all, abort the selection, unqueue, and start over
//!    at 1 (the operation then commits directly). Otherwise wait: the first
//!    counterpart to claim the selection commits exactly that operation; the
//!    other waiters are unqueued.
//!
//! As in crossbeam-channel, the selecting side never commits an operation
//! while its waiters are queued: only a counterpart's claim does. So a claim
//! never has to be undone, and two selects facing each other cannot both
//! commit. On a buffered channel the claim hands nothing over: it wakes the
//! selection, which unqueues its other waiters and tries the claimed
//! operation on the ring; if another operation took the value (or the room)
//! first, the selection starts over at 1.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::op::{Operation, Settled};
use super::receiver::Recv;
use super::sender::Send;
use super::waiter::{Joining, Outcome, Selection};
use super::SendError;
use crate::runtime::context;
use crate::runtime::status::{kind, Word};
use crate::util::pair::Pair;
use crate::util::watched;

/// The most branches one `select!` may have.
pub(crate) const MAX_BRANCHES: usize = 64;

/// What can be a branch of [`select!`](crate::select!): a goro channel
/// operation (`rx.recv()`, `tx.send(v)`), or an `Option` of one, where
/// `None` never fires (Go's nil channel).
///
/// Other futures cannot be branches: exactly-once commit needs every
/// branch to take part in the select's protocol. Use `tokio::select!` for
/// those.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a branch of goro::select!",
    label = "not a goro channel operation",
    note = "a branch is `pattern = rx.recv()` or `pattern = tx.send(value)` on a goro channel \
            whose values are Send, or an Option of one (the timers of goro::time deliver on goro \
            receivers); exactly-once commit is impossible for other futures: use tokio::select! \
            for those"
)]
pub trait Selectable {
    /// `Option<T>` for a receive, `Result<(), SendError<T>>` for a send:
    /// what a committed branch binds to its pattern.
    #[doc(hidden)]
    type Output;
    /// The operation as the select engine drives it.
    #[doc(hidden)]
    fn as_op(&mut self) -> &mut (dyn SelectOp + std::marker::Send);
    /// The committed operation's result.
    #[doc(hidden)]
    fn take_output(&mut self) -> Self::Output;
}

/// A branch as `select!` uses it: the operation to drive and how to take
/// its output later, from one call, so that a branch that is not
/// [`Selectable`] is reported once.
#[doc(hidden)]
#[inline(always)]
pub fn branch<O, S: Branch<O>>(
    s: &mut S,
) -> (&mut (dyn SelectOp + std::marker::Send), fn(&mut S) -> O) {
    (s.op(), S::take)
}

/// [`Selectable`] with its output as a parameter: `select!` names no
/// associated type of a branch, which would be a second error for a bad
/// one.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a branch of goro::select!",
    label = "not a goro channel operation",
    note = "a branch is `pattern = rx.recv()` or `pattern = tx.send(value)` on a goro channel \
            whose values are Send, or an Option of one (the timers of goro::time deliver on goro \
            receivers); exactly-once commit is impossible for other futures: use tokio::select! \
            for those"
)]
pub trait Branch<O> {
    #[doc(hidden)]
    fn op(&mut self) -> &mut (dyn SelectOp + std::marker::Send);
    #[doc(hidden)]
    fn take(&mut self) -> O;
}

impl<S: Selectable> Branch<S::Output> for S {
    #[inline(always)]
    fn op(&mut self) -> &mut (dyn SelectOp + std::marker::Send) {
        self.as_op()
    }
    #[inline(always)]
    fn take(&mut self) -> S::Output {
        self.take_output()
    }
}

/// A channel operation that can be a branch of [`select!`](crate::select!).
#[doc(hidden)]
pub trait SelectOp {
    #[doc(hidden)]
    fn try_now(&mut self, hinted: bool) -> bool;
    #[doc(hidden)]
    fn register(&mut self, registration: Registration<'_>) -> bool;
    #[doc(hidden)]
    fn unregister(&mut self);
    #[doc(hidden)]
    fn settle(&mut self) -> bool;
}

/// An operation's place in a selection.
pub struct Registration<'a> {
    selection: Pair<Selection>,
    op: usize,
    _select: std::marker::PhantomData<&'a ()>,
}

/// `Recv` and `Send` are branches the same way: through their operation.
macro_rules! select_op {
    ($future:ident) => {
        impl<T> SelectOp for $future<'_, T> {
            fn try_now(&mut self, hinted: bool) -> bool {
                // A future polled on its own before: take its wait back.
                if let Some(done) = self.op.reclaim(self.chan) {
                    self.done = Some(done);
                    return true;
                }
                self.done = self.try_direct(hinted);
                self.done.is_some()
            }
            fn register(&mut self, r: Registration<'_>) -> bool {
                self.op
                    .register(self.chan, Joining::Select(r.selection, r.op))
            }
            fn unregister(&mut self) {
                self.op.unregister(self.chan);
            }
            fn settle(&mut self) -> bool {
                match self.op.settle(self.chan) {
                    Settled::Done(done) => {
                        self.done = Some(done);
                        true
                    }
                    Settled::Waiting | Settled::Retry => false,
                }
            }
        }
    };
}

select_op!(Recv);
select_op!(Send);

impl<'a, T: std::marker::Send> Selectable for Recv<'a, T> {
    type Output = Option<T>;
    #[inline(always)]
    fn as_op(&mut self) -> &mut (dyn SelectOp + std::marker::Send) {
        self
    }
    fn take_output(&mut self) -> Option<T> {
        self.done.take().expect("the committed branch has a result")
    }
}

impl<'a, T: std::marker::Send> Selectable for Send<'a, T> {
    type Output = Result<(), SendError<T>>;
    #[inline(always)]
    fn as_op(&mut self) -> &mut (dyn SelectOp + std::marker::Send) {
        self
    }
    fn take_output(&mut self) -> Self::Output {
        self.done
            .take()
            .expect("the committed branch has a result")
            .map_err(SendError)
    }
}

/// Waits on any number of operations of one kind and commits exactly one:
/// Go's `reflect.Select`, for a set of channels known only at run time.
/// Returns the index of the operation that committed and its output
/// (`Option<T>` for a receive, `Result<(), SendError<T>>` for a send).
///
/// The operations are taken by value and dropped when it returns, as a
/// [`select!`](crate::select!)'s are: the losing ones commit nothing. An
/// operation may be an `Option` (`None` never fires); with no operation,
/// or all `None`, it waits forever.
///
/// # Examples
///
/// Receive from whichever of many channels has a value first:
///
/// ```
/// goro::run(async {
///     let channels: Vec<_> = (0..100).map(|_| goro::chan::<u32>(1)).collect();
///     channels[42].0.send(7).await.unwrap();
///     let (i, v) = goro::chan::select_slice(channels.iter().map(|(_, rx)| rx.recv())).await;
///     assert_eq!((i, v), (42, Some(7)));
/// });
/// ```
pub async fn select_slice<S, I>(ops: I) -> (usize, S::Output)
where
    S: Selectable + std::marker::Send,
    I: IntoIterator<Item = S>,
{
    select_owned(ops, false)
        .await
        .expect("a select without default commits an operation")
}

/// [`select_slice`] with a `default`: commits an operation that can
/// proceed at once, or returns `None` without waiting.
pub async fn try_select_slice<S, I>(ops: I) -> Option<(usize, S::Output)>
where
    S: Selectable + std::marker::Send,
    I: IntoIterator<Item = S>,
{
    select_owned(ops, true).await
}

/// The slice selects: owns the operations, so that they are dropped (the
/// losing ones cancelled) when it ends, however it ends.
async fn select_owned<S, I>(ops: I, default: bool) -> Option<(usize, S::Output)>
where
    S: Selectable + std::marker::Send,
    I: IntoIterator<Item = S>,
{
    let mut ops: Vec<S> = ops.into_iter().collect();
    let chosen = {
        let mut refs: Vec<&mut (dyn SelectOp + std::marker::Send)> =
            ops.iter_mut().map(Selectable::as_op).collect();
        select(&mut refs, default).await
    };
    chosen.map(|i| (i, ops[i].take_output()))
}

/// `None` never fires, as a nil channel in Go; `Some(op)` is `op`.
impl<S: Selectable + std::marker::Send> Selectable for Option<S> {
    type Output = S::Output;
    #[inline(always)]
    fn as_op(&mut self) -> &mut (dyn SelectOp + std::marker::Send) {
        self
    }
    fn take_output(&mut self) -> S::Output {
        self.as_mut()
            .expect("a `None` branch never commits")
            .take_output()
    }
}

impl<S: Selectable> SelectOp for Option<S> {
    fn try_now(&mut self, hinted: bool) -> bool {
        self.as_mut().is_some_and(|s| s.as_op().try_now(hinted))
    }
    fn register(&mut self, r: Registration<'_>) -> bool {
        // Nothing to queue: it waits, and nothing will ever claim it.
        self.as_mut().is_none_or(|s| s.as_op().register(r))
    }
    fn unregister(&mut self) {
        if let Some(s) = self {
            s.as_op().unregister();
        }
    }
    fn settle(&mut self) -> bool {
        self.as_mut().is_some_and(|s| s.as_op().settle())
    }
}

/// The future `select!` awaits: the index of the committed branch, or
/// `None` for `default`.
///
/// Dropping it undoes nothing by itself: the branches' futures, dropped
/// with it, each cancel their own operation (the first aborts the shared
/// selection and leaves its queue; the others find the selection ended and
/// leave theirs; a branch a counterpart committed gives its value back).
/// So the branches must be dropped with it, as `select!` does (it owns
/// them); a branch polled on its own after its `Select` was dropped
/// mid-wait would wait on the abandoned selection.
pub struct Select<'a, 'b> {
    ops: &'a mut [&'b mut (dyn SelectOp + std::marker::Send)],
    default: bool,
    waiting: Option<Pair<Selection>>,
}

/// Starts selecting over `ops`; see the `Select` future.
pub fn select<'a, 'b>(
    ops: &'a mut [&'b mut (dyn SelectOp + std::marker::Send)],
    default: bool,
) -> Select<'a, 'b> {
    assert!(
        ops.len() <= 1 << 31,
        "a select takes at most 2^31 operations"
    );
    Select {
        ops,
        default,
        waiting: None,
    }
}

impl Select<'_, '_> {
    /// Operation `op` was claimed: unqueue the rest and settle it. On a
    /// buffered channel the claim was a notice and the operation tries the
    /// ring again; if another operation got there first, start over.
    fn finish(&mut self, op: usize) -> bool {
        self.waiting = None;
        for (i, other) in self.ops.iter_mut().enumerate() {
            if i != op {
                other.unregister();
            }
        }
        self.ops[op].settle()
    }

    /// Steps 1 and 2 of the module's description, with the random order
    /// on the stack for `select!`'s branches, or on the heap for a longer
    /// slice (`select_slice`).
    fn start(&mut self, cx: &mut Context<'_>) -> Poll<Option<usize>> {
        let n = self.ops.len();
        if n <= MAX_BRANCHES {
            let mut order = [0u8; MAX_BRANCHES];
            self.start_in(cx, &mut order[..n])
        } else {
            let mut order = vec![0u32; n];
            self.start_in(cx, &mut order)
        }
    }

    #[inline(always)]
    fn start_in<I: Index>(&mut self, cx: &mut Context<'_>, order: &mut [I]) -> Poll<Option<usize>> {
        let this = self;
        let n = order.len();
        // The first pass skips unbuffered channels with no counterpart in
        // sight: queueing checks them again under their locks. A `default`
        // needs every operation really tried, and so does a pass after a
        // queueing found one ready after all.
        let mut hinted = !this.default;
        'attempt: loop {
            shuffle(order);
            for &i in &*order {
                if this.ops[i.get()].try_now(hinted) {
                    return Poll::Ready(Some(i.get()));
                }
            }
            hinted = false;
            if this.default {
                return take_default(cx);
            }
            // A handle for this future and one for each waiter, counted
            // at once (those left untaken are given back together).
            let mut handles = Selection::shared(watched::waker(cx.waker()), n + 1);
            let selection = handles.take();
            for (k, &i) in order.iter().enumerate() {
                let op = i.get();
                let registration = Registration {
                    selection: handles.take(),
                    op,
                    _select: std::marker::PhantomData,
                };
                if !this.ops[op].register(registration) {
                    // Ready after all: stop waiting and commit directly,
                    // unless a counterpart claimed us meanwhile.
                    if selection.try_abort() {
                        for &j in &order[..k] {
                            this.ops[j.get()].unregister();
                        }
                        continue 'attempt;
                    }
                    break;
                }
            }
            if let Outcome::Claimed(op) = selection.outcome() {
                if this.finish(op) {
                    return Poll::Ready(Some(op));
                }
                continue 'attempt;
            }
            this.waiting = Some(selection);
            this.waits();
            return Poll::Pending;
        }
    }
}

impl Select<'_, '_> {
    /// Says what the goroutine polling it waits for.
    #[inline(always)]
    fn waits(&self) {
        context::waiting(Word::new(kind::SELECT, self.ops.len() as u64));
    }
}

impl Future for Select<'_, '_> {
    type Output = Option<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<usize>> {
        let this = &mut *self;
        if let Some(selection) = &this.waiting {
            let claimed = match selection.outcome() {
                Outcome::Claimed(op) => Some(op),
                _ => {
                    selection.set_waker(watched::waker(cx.waker()));
                    // A counterpart in the middle of its claim wakes the
                    // waker it took, perhaps not this one: wait the few
                    // instructions for its outcome rather than return
                    // pending.
                    match selection.final_outcome() {
                        Outcome::Claimed(op) => Some(op),
                        _ => None,
                    }
                }
            };
            match claimed {
                None => {
                    this.waits();
                    return Poll::Pending;
                }
                Some(op) if this.finish(op) => return Poll::Ready(Some(op)),
                Some(_) => {}
            }
        }
        this.start(cx)
    }
}

/// Takes the `default` branch, which waits for nothing: so it spends a unit
/// of the task's cooperative budget, as a Tokio resource's poll does, and
/// once the budget is spent yields instead (the task is woken at once and
/// selects again). A loop around a `select!` whose `default` is always
/// taken then lets the worker's other goroutines run, as Go's preemption
/// does.
fn take_default(cx: &mut Context<'_>) -> Poll<Option<usize>> {
    match tokio::task::coop::poll_proceed(cx) {
        Poll::Ready(restore) => {
            restore.made_progress();
            Poll::Ready(None)
        }
        Poll::Pending => Poll::Pending,
    }
}

/// An operation's index in a random order: `u8` for `select!`'s at most
/// `MAX_BRANCHES`, `u32` for a slice.
trait Index: Copy {
    fn new(i: usize) -> Self;
    fn get(self) -> usize;
}

impl Index for u8 {
    #[inline(always)]
    fn new(i: usize) -> u8 {
        i as u8
    }
    #[inline(always)]
    fn get(self) -> usize {
        usize::from(self)
    }
}

impl Index for u32 {
    #[inline(always)]
    fn new(i: usize) -> u32 {
        i as u32
    }
    #[inline(always)]
    fn get(self) -> usize {
        self as usize
    }
}

/// Fills `order` with `0..len` in a uniformly random order (Fisher-Yates,
/// with a per-thread xorshift generator). Under loom the order is fixed, so
/// that model runs repeat.
fn shuffle<I: Index>(order: &mut [I]) {
    for (i, slot) in order.iter_mut().enumerate() {
        *slot = I::new(i);
    }
    if cfg!(goro_loom) {
        return;
    }
    for i in (1..order.len()).rev() {
        let j = (next_random() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

fn next_random() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = const { Cell::new(0) };
    }
    STATE.with(|state| {
        let mut x = state.get();
        if x == 0 {
            // Seed from the thread's stack address and the clock.
            let here = &x as *const u64 as u64;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            x = (here ^ now.rotate_left(32)) | 1;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        x
    })
}
