//! [`ErrGroup`]: Go's `golang.org/x/sync/errgroup`.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::FutureExt;

use super::WaitGroup;
use crate::chan::{chan, Receiver, Sender};
use crate::context::{self, Cancel, Context};
use crate::runtime::context as thread;

/// Goroutines working on parts of one task, with the first error among
/// them: Go's `errgroup.Group`.
///
/// [`go`](ErrGroup::go) starts a goroutine whose future returns
/// `Result<(), E>`; [`wait`](ErrGroup::wait) waits for all of them and
/// returns the first error. A group made by
/// [`with_context`](ErrGroup::with_context) cancels its context at the
/// first error (or when `wait` returns), so that the others can stop
/// early. [`set_limit`](ErrGroup::set_limit) bounds how many run at once.
/// Clones are the same group: a member may start more members.
///
/// A member that panics under [`Panic::Exit`](crate::Panic::Exit) (the
/// default) ends the process, as any goroutine's panic does. Under
/// [`Panic::Isolate`](crate::Panic::Isolate) (and in a plain Tokio
/// runtime) the panic cancels the group's context and resumes in `wait`,
/// as in recent versions of Go's errgroup.
///
/// # Examples
///
/// ```
/// use goro::sync::ErrGroup;
///
/// goro::run(async {
///     let (group, ctx) = ErrGroup::<String>::with_context(&goro::context::background());
///     for url in ["a", "b", "bad", "c"] {
///         let ctx = ctx.clone();
///         group
///             .go(async move {
///                 if ctx.err().is_some() {
///                     return Ok(()); // another fetch failed: stop early
///                 }
///                 if url == "bad" {
///                     return Err(format!("fetch {url}: not found"));
///                 }
///                 Ok(())
///             })
///             .await;
///     }
///     assert_eq!(group.wait().await, Err("fetch bad: not found".to_string()));
///     assert!(ctx.err().is_some(), "wait cancels the group's context");
/// });
/// ```
pub struct ErrGroup<E> {
    inner: Arc<Inner<E>>,
}

struct Inner<E> {
    members: WaitGroup,
    state: Mutex<State<E>>,
    cancel: Option<Cancel>,
}

struct State<E> {
    err: Option<E>,
    panic: Option<Box<dyn Any + Send>>,
    /// `set_limit`'s tokens: a member holds one while it runs, as Go's
    /// errgroup holds a token of a buffered channel.
    limit: Option<(Sender<()>, Receiver<()>)>,
}

impl<E> Clone for ErrGroup<E> {
    fn clone(&self) -> ErrGroup<E> {
        ErrGroup {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<E: Send + 'static> Default for ErrGroup<E> {
    fn default() -> ErrGroup<E> {
        ErrGroup::new()
    }
}

impl<E: Send + 'static> ErrGroup<E> {
    /// An empty group with no context and no limit.
    pub fn new() -> ErrGroup<E> {
        ErrGroup::make(None)
    }

    /// An empty group and a context derived from `parent` that is
    /// cancelled at the group's first error (or panic), or when
    /// [`wait`](ErrGroup::wait) returns: Go's `errgroup.WithContext`.
    pub fn with_context(parent: &Context) -> (ErrGroup<E>, Context) {
        let (ctx, cancel) = context::with_cancel(parent);
        (ErrGroup::make(Some(cancel)), ctx)
    }

    fn make(cancel: Option<Cancel>) -> ErrGroup<E> {
        ErrGroup {
            inner: Arc::new(Inner {
                members: WaitGroup::new(),
                state: Mutex::new(State {
                    err: None,
                    panic: None,
                    limit: None,
                }),
                cancel,
            }),
        }
    }

    /// At most `n` members run at once from now on: [`go`](ErrGroup::go)
    /// waits for one to end, [`try_go`](ErrGroup::try_go) declines.
    /// `usize::MAX` removes the limit. Go's `Group.SetLimit`.
    ///
    /// # Panics
    ///
    /// Panics if members started under a limit are still running, as Go's
    /// does.
    pub fn set_limit(&self, n: usize) {
        let mut state = self.inner.lock();
        if let Some((tokens, _)) = &state.limit {
            assert!(
                tokens.is_empty(),
                "ErrGroup::set_limit: {} members are still running under the old limit",
                tokens.len()
            );
        }
        state.limit = (n != usize::MAX).then(|| chan(n));
    }

    /// Starts a goroutine running `member`, once the limit (if any) lets
    /// it: Go's `Group.Go`. The first member to return an error sets the
    /// group's error and cancels its context.
    ///
    /// The returned future does the waiting and the starting: await it
    /// (`group.go(async { .. }).await`).
    #[track_caller]
    pub fn go<F>(&self, member: F) -> impl Future<Output = ()> + Send + '_
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        let at = Location::caller();
        async move {
            let token = self.inner.lock().limit.as_ref().map(|(tx, _)| tx.clone());
            if let Some(token) = token {
                // A send into the token channel waits while it is full.
                if token.send(()).await.is_err() {
                    unreachable!("the group holds the token channel's receiver");
                }
            }
            self.start(member, at);
        }
    }

    /// Starts `member` in a goroutine only if the limit lets it run at
    /// once; returns whether it did: Go's `Group.TryGo`.
    #[track_caller]
    pub fn try_go<F>(&self, member: F) -> bool
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        let at = Location::caller();
        if let Some((token, _)) = &self.inner.lock().limit {
            if token.try_send(()).is_err() {
                return false;
            }
        }
        self.start(member, at);
        true
    }

    fn start<F>(&self, member: F, at: &'static Location<'static>)
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        inner.members.add(1);
        let limited = inner
            .lock()
            .limit
            .as_ref()
            .map(|(_, tokens)| tokens.clone());
        drop(crate::spawn::spawn_at(
            async move {
                let ended = Ended {
                    inner: &inner,
                    limited,
                };
                let outcome = if thread::flags().exits_on_panic() {
                    // The panic ends the process: goro's report names
                    // this goroutine.
                    Ok(member.await)
                } else {
                    AssertUnwindSafe(member).catch_unwind().await
                };
                match outcome {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => inner.fail(|state| {
                        state.err.get_or_insert(err);
                    }),
                    Err(payload) => inner.fail(|state| {
                        state.panic.get_or_insert(payload);
                    }),
                }
                drop(ended);
            },
            None,
            at,
        ));
    }

    /// Waits for every member, then cancels the group's context and
    /// returns the first error: Go's `Group.Wait`. The error is taken: a
    /// second `wait` returns `Ok` unless a member failed since.
    ///
    /// # Panics
    ///
    /// Resumes the panic of a member that panicked (under
    /// [`Panic::Isolate`](crate::Panic::Isolate)).
    pub async fn wait(&self) -> Result<(), E> {
        self.inner.members.wait().await;
        if let Some(cancel) = &self.inner.cancel {
            cancel.cancel();
        }
        let (err, panic) = {
            let mut state = self.inner.lock();
            (state.err.take(), state.panic.take())
        };
        if let Some(payload) = panic {
            std::panic::resume_unwind(payload);
        }
        err.map_or(Ok(()), Err)
    }
}

impl<E> Inner<E> {
    fn lock(&self) -> MutexGuard<'_, State<E>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a failure and cancels the group's context.
    fn fail(&self, record: impl FnOnce(&mut State<E>)) {
        record(&mut self.lock());
        if let Some(cancel) = &self.cancel {
            cancel.cancel();
        }
    }
}

/// A member's end, whether it returned or was dropped (its goroutine
/// abandoned, or unwinding): gives its token back and counts it done.
struct Ended<'a, E> {
    inner: &'a Inner<E>,
    limited: Option<Receiver<()>>,
}

impl<E> Drop for Ended<'_, E> {
    fn drop(&mut self) {
        if let Some(tokens) = &self.limited {
            let _ = tokens.try_recv();
        }
        self.inner.members.done();
    }
}

impl<E> fmt::Debug for ErrGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrGroup").finish_non_exhaustive()
    }
}
