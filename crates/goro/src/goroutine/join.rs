//! The cell a goroutine's result goes through to its handle, and
//! `JoinError`.
//!
//! A hosted goroutine's `Join` is shared by two handles (a `Pair`): the
//! goroutine's end, which finishes it once, and the `JoinHandle`, which
//! waits for the result and may abort the goroutine.

use std::any::Any;
use std::fmt;
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};

use super::id::GoroutineId;
use crate::loom::{AtomicU8, Mutex, MutexGuard, Ordering};
use crate::util::block::Block;
use crate::util::pair::Pair;
use crate::util::watched;

// The state bits of a `Join`. Each is set once and never cleared.

/// The result is in `JoinState::result` (or was taken by the handle):
/// set under the lock, after the result was stored.
const FINISHED: u8 = 1;
/// The handle asked for the goroutine to be cancelled; the goroutine's
/// next poll ends it instead of polling its future.
const ABORTED: u8 = 2;
/// The carrier's waker is in `JoinState::carrier`, for an abort to wake
/// it: set after the waker was stored, so an abort that sees the bit finds
/// the waker, and one that does not is seen by the goroutine's check.
const PARKED: u8 = 4;

/// A hosted goroutine's result, shared with its handle.
pub(crate) struct Join<T> {
    pub(crate) id: GoroutineId,
    state: AtomicU8,
    inner: Mutex<JoinState<T>>,
}

struct JoinState<T> {
    result: Option<Result<T, JoinError>>,
    /// Whoever awaits the handle.
    waiter: Option<Waker>,
    /// The carrier, once the goroutine waited: `abort` wakes it.
    carrier: Option<Waker>,
}

impl<T> Join<T> {
    pub(crate) fn new(id: GoroutineId) -> Join<T> {
        Join {
            id,
            state: AtomicU8::new(0),
            inner: Mutex::new(JoinState {
                result: None,
                waiter: None,
                carrier: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, JoinState<T>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.state.load(Ordering::Acquire) & FINISHED != 0
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.state.load(Ordering::Acquire) & ABORTED != 0
    }

    /// Gives the handle `result`, or, if the handle was dropped (nobody
    /// to tell, nor can there be again), returns this `Join`'s memory.
    pub(crate) fn finish(this: Pair<Self>, result: Result<T, JoinError>) -> Option<Block> {
        let this = match Pair::recycle(this) {
            Ok(memory) => return memory,
            Err(this) => this,
        };
        let waiter = {
            let mut inner = this.lock();
            inner.result = Some(result);
            inner.carrier = None;
            this.state.fetch_or(FINISHED, Ordering::Release);
            inner.waiter.take()
        };
        drop(this);
        if let Some(waiter) = waiter {
            waiter.wake();
        }
        None
    }

    /// The goroutine waits for the first time: keeps the carrier's waker
    /// for `abort`.
    #[cold]
    pub(crate) fn park(&self, waker: &Waker) {
        self.lock().carrier = Some(waker.clone());
        // After the store: an `abort` that missed the waker is seen here.
        if self.state.fetch_or(PARKED, Ordering::AcqRel) & ABORTED != 0 {
            waker.wake_by_ref();
        }
    }

    /// Asks for the goroutine to be cancelled, and wakes it if it waits.
    pub(crate) fn abort(&self) {
        let state = self.state.fetch_or(ABORTED, Ordering::AcqRel);
        if state & FINISHED != 0 {
            return;
        }
        if state & PARKED != 0 {
            let carrier = self.lock().carrier.clone();
            if let Some(carrier) = carrier {
                carrier.wake();
            }
        }
    }

    pub(crate) fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let mut inner = self.lock();
        if let Some(result) = inner.result.take() {
            return Poll::Ready(result);
        }
        assert!(
            !self.is_finished(),
            "a goroutine's JoinHandle polled after it returned the result"
        );
        match &inner.waiter {
            Some(waiter) if waiter.will_wake(watched::waker(cx.waker())) => {}
            _ => inner.waiter = Some(watched::waker(cx.waker()).clone()),
        }
        Poll::Pending
    }
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

/// Why a goroutine produced no result: it panicked, or it was cancelled.
pub struct JoinError {
    id: GoroutineId,
    /// The panic's payload; `None` when cancelled.
    panic: Option<Box<dyn Any + Send + 'static>>,
}

impl JoinError {
    pub(crate) fn panicked(id: GoroutineId, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            id,
            panic: Some(payload),
        }
    }

    pub(crate) fn cancelled(id: GoroutineId) -> JoinError {
        JoinError { id, panic: None }
    }

    /// The goroutine that failed.
    pub fn id(&self) -> GoroutineId {
        self.id
    }

    /// Whether the goroutine panicked.
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// Whether the goroutine was cancelled: by [`JoinHandle::abort`](crate::JoinHandle::abort), or
    /// because its runtime shut down.
    pub fn is_cancelled(&self) -> bool {
        self.panic.is_none()
    }

    /// The panic's payload, to resume it with [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// Panics if the goroutine was cancelled; see
    /// [`try_into_panic`](JoinError::try_into_panic).
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .unwrap_or_else(|err| panic!("`JoinError::into_panic` called on a cancellation: {err}"))
    }

    /// The panic's payload, or the error itself if it was a cancellation.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.panic {
            Some(payload) => Ok(payload),
            None => Err(self),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.panic {
            Some(payload) => write!(f, "goroutine {} panicked: {}", self.id, message(&**payload)),
            None => write!(f, "goroutine {} was cancelled", self.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.panic {
            Some(payload) => f
                .debug_struct("JoinError::Panic")
                .field("id", &self.id)
                .field("message", &message(&**payload))
                .finish(),
            None => f
                .debug_struct("JoinError::Cancelled")
                .field("id", &self.id)
                .finish(),
        }
    }
}

impl std::error::Error for JoinError {}

#[cfg(all(test, goro_loom))]
mod loom_tests {
    use super::*;
    use std::sync::Arc;

    /// An abort racing the goroutine's first wait is never missed: the
    /// carrier is woken (by the abort, or by itself) to see it.
    #[test]
    fn an_abort_racing_the_first_wait_wakes_the_carrier() {
        use std::sync::atomic::AtomicUsize as Count;
        use std::task::Wake;

        struct Counting(Count);
        impl Wake for Counting {
            fn wake(self: Arc<Self>) {
                self.wake_by_ref();
            }
            fn wake_by_ref(self: &Arc<Self>) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        loom::model(|| {
            let (handle, end) = Pair::new(Join::<()>::new(GoroutineId::MAIN));
            let wakes = Arc::new(Counting(Count::new(0)));
            let waker = Waker::from(wakes.clone());
            let aborter = loom::thread::spawn(move || handle.abort());
            end.park(&waker);
            aborter.join().unwrap();
            assert!(wakes.0.load(std::sync::atomic::Ordering::SeqCst) >= 1);
            assert!(end.is_aborted());
        });
    }
}
