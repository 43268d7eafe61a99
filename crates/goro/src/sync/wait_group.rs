use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use crate::goroutine::handle::JoinHandle;
use crate::loom::{AtomicIsize, Condvar, Mutex, Ordering};
use crate::runtime::context;
use crate::runtime::status::{kind, Word};
use crate::util::watched;

/// Waits for a collection of goroutines to finish: Go's `sync.WaitGroup`.
///
/// The counter starts at zero. [`add`](WaitGroup::add) raises it before
/// goroutines start, each goroutine calls [`done`](WaitGroup::done) when it
/// finishes, and [`wait`](WaitGroup::wait) (or
/// [`wait_blocking`](WaitGroup::wait_blocking) from a plain thread) returns
/// once the counter is back to zero. Clones share one counter. A group may
/// be reused once its waits have returned.
///
/// [`go`](WaitGroup::go) does all three steps for one goroutine and marks it
/// done however it ends: returning, panicking or being cancelled.
///
/// # Examples
///
/// ```
/// use goro::sync::WaitGroup;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// goro::run(async {
///     let wg = WaitGroup::new();
///     let sum = Arc::new(AtomicUsize::new(0));
///     for i in 1..=10 {
///         let sum = sum.clone();
///         wg.go(async move {
///             sum.fetch_add(i, Ordering::Relaxed);
///         });
///     }
///     wg.wait().await;
///     assert_eq!(sum.load(Ordering::Relaxed), 55);
/// });
/// ```
///
/// # Panics
///
/// Like Go's, the counter must never go below zero: [`add`](WaitGroup::add)
/// or [`done`](WaitGroup::done) that would make it negative panics with
/// `sync: negative WaitGroup counter`.
#[derive(Clone, Default)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

struct Inner {
    count: AtomicIsize,
    waiters: Mutex<Waiters>,
    /// Signalled at each zero crossing for threads in `wait_blocking`.
    unblocked: Condvar,
}

#[derive(Default)]
struct Waiters {
    /// Counts the times the counter reached zero; a waiter that saw another
    /// generation when it registered is done, even if the group was reused.
    generation: u64,
    next_key: u64,
    wakers: Vec<(u64, Waker)>,
    /// Threads in `wait_blocking`: the condvar is signalled only if there
    /// are any, since signalling costs a system call even when nobody waits.
    blocked: usize,
}

impl WaitGroup {
    /// A group whose counter is zero.
    pub fn new() -> WaitGroup {
        WaitGroup::default()
    }

    /// Adds `delta`, which may be negative, to the counter. When the counter
    /// reaches zero every waiter is released.
    ///
    /// # Panics
    ///
    /// Panics with `sync: negative WaitGroup counter` if the counter would
    /// go below zero.
    #[track_caller]
    pub fn add(&self, delta: isize) {
        let inner = &*self.inner;
        let mut count = inner.count.load(Ordering::Relaxed);
        loop {
            let new = next_count(count, delta);
            if count == 0 || new == 0 {
                // Leaving or reaching zero: under the lock, so that waiters
                // see the counter and the generation change together.
                return inner.add_locked(delta);
            }
            match inner
                .count
                .compare_exchange_weak(count, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(now) => count = now,
            }
        }
    }

    /// Takes one off the counter: `add(-1)`.
    ///
    /// # Panics
    ///
    /// Panics with `sync: negative WaitGroup counter` if the counter is
    /// already zero.
    #[track_caller]
    pub fn done(&self) {
        self.add(-1);
    }

    /// Waits until the counter is zero.
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            inner: &self.inner,
            registered: None,
        }
    }

    /// Blocks the current thread until the counter is zero. For plain
    /// threads and the blocking pool; in a goroutine use
    /// [`wait`](WaitGroup::wait), which leaves the worker free.
    ///
    /// # Panics
    ///
    /// Panics if called in a goroutine's own code (not inside
    /// [`goro::blocking`](crate::blocking)), where it would block a worker
    /// thread and every goroutine waiting to run on it.
    #[track_caller]
    pub fn wait_blocking(&self) {
        crate::runtime::context::refuse_blocking("WaitGroup::wait_blocking", "wait().await");
        let inner = &*self.inner;
        if inner.count.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut waiters = inner.waiters.lock().unwrap_or_else(|e| e.into_inner());
        let generation = waiters.generation;
        waiters.blocked += 1;
        while waiters.generation == generation && inner.count.load(Ordering::Acquire) != 0 {
            waiters = inner
                .unblocked
                .wait(waiters)
                .unwrap_or_else(|e| e.into_inner());
        }
        waiters.blocked -= 1;
    }

    /// Starts a goroutine running `future` as a member of the group: adds
    /// one now and marks it done when the future ends, whether it returns,
    /// panics (under [`Panic::Isolate`](crate::Panic::Isolate)) or is
    /// cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// goro::run(async {
    ///     let wg = goro::sync::WaitGroup::new();
    ///     let handle = wg.go(std::future::pending::<()>());
    ///     handle.abort();
    ///     wg.wait().await; // the aborted goroutine counts as done
    /// });
    /// ```
    #[track_caller]
    pub fn go<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.add(1);
        let member = Member {
            future,
            _done: Done(self.clone()),
        };
        crate::spawn::spawn_at(member, None, Location::caller())
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.inner.count.load(Ordering::Relaxed))
            .finish()
    }
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            count: AtomicIsize::new(0),
            waiters: Mutex::new(Waiters::default()),
            unblocked: Condvar::new(),
        }
    }
}

impl Inner {
    /// `add` for a change that leaves or reaches zero. When the counter
    /// reaches zero, the generation moves on and every waiter is released.
    #[track_caller]
    fn add_locked(&self, delta: isize) {
        let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        let mut count = self.count.load(Ordering::Relaxed);
        let new = loop {
            let new = next_count(count, delta);
            match self
                .count
                .compare_exchange_weak(count, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => break new,
                Err(now) => count = now,
            }
        };
        if new != 0 || count == 0 {
            return;
        }
        waiters.generation = waiters.generation.wrapping_add(1);
        if waiters.blocked != 0 {
            self.unblocked.notify_all();
        }
        let wakers = std::mem::take(&mut waiters.wakers);
        drop(waiters);
        for (_, waker) in wakers {
            waker.wake();
        }
    }
}

/// The counter after adding `delta` to `count`; panics as Go does if it
/// would go below zero.
#[track_caller]
fn next_count(count: isize, delta: isize) -> isize {
    match count.checked_add(delta) {
        Some(new) if new >= 0 => new,
        Some(_) => panic!("sync: negative WaitGroup counter"),
        None => panic!("sync: WaitGroup counter overflow"),
    }
}

/// Marks a [`WaitGroup::go`] goroutine done when dropped.
struct Done(WaitGroup);

pin_project! {
    /// A [`WaitGroup::go`] goroutine: the future, and the mark that is
    /// dropped with it however it ends. (An `async` block would store the
    /// future twice, once captured and once being awaited.)
    struct Member<F> {
        #[pin]
        future: F,
        _done: Done,
    }
}

impl<F: Future> Future for Member<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

impl Drop for Done {
    fn drop(&mut self) {
        self.0.done();
    }
}

/// The future of [`WaitGroup::wait`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<'a> {
    inner: &'a Inner,
    /// The key of our waker and the generation we registered in.
    registered: Option<(u64, u64)>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = self.inner;
        if self.registered.is_none() && inner.count.load(Ordering::Acquire) == 0 {
            return Poll::Ready(());
        }
        let mut waiters = inner.waiters.lock().unwrap_or_else(|e| e.into_inner());
        match self.registered {
            Some((_, generation)) if generation != waiters.generation => {
                // Released: `add_locked` already took our waker.
                self.registered = None;
                Poll::Ready(())
            }
            Some((key, _)) => {
                if let Some((_, waker)) = waiters.wakers.iter_mut().find(|(k, _)| *k == key) {
                    waker.clone_from(watched::waker(cx.waker()));
                }
                context::waiting(WAITING);
                Poll::Pending
            }
            None => {
                if inner.count.load(Ordering::Acquire) == 0 {
                    return Poll::Ready(());
                }
                let key = waiters.next_key;
                waiters.next_key += 1;
                waiters
                    .wakers
                    .push((key, watched::waker(cx.waker()).clone()));
                self.registered = Some((key, waiters.generation));
                context::waiting(WAITING);
                Poll::Pending
            }
        }
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some((key, _)) = self.registered {
            let mut waiters = self.inner.waiters.lock().unwrap_or_else(|e| e.into_inner());
            waiters.wakers.retain(|(k, _)| *k != key);
        }
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait").finish_non_exhaustive()
    }
}

/// What a goroutine waiting for a `WaitGroup` waits for (`goro::dump`).
const WAITING: Word = Word::of(kind::WAIT_GROUP);
