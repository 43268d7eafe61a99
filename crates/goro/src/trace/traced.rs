//! The decorator of a traced goroutine: its `tracing` span, and the
//! recording of its polls, wakes and end.

use std::cell::{Cell, OnceCell, RefCell};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use goro_trace::{recorder, GoroutineInfo, Outcome};
use pin_project_lite::pin_project;

use crate::goroutine::id::GoroutineId;
use crate::runtime::context;
use crate::util::watched;

pin_project! {
    /// A traced goroutine's future: polled inside the goroutine's span,
    /// its polls, wakes and end recorded while a recording runs. Dropped
    /// before it completed, it was cancelled (aborted, or abandoned at
    /// shutdown), perhaps before its first poll.
    pub(crate) struct Traced<F> {
        #[pin]
        future: F,
        state: Box<State>,
    }

    impl<F> PinnedDrop for Traced<F> {
        fn drop(this: Pin<&mut Self>) {
            this.state.ended(Outcome::Cancelled);
        }
    }
}

/// Who a traced goroutine is, and what its recording knows.
#[derive(Debug)]
struct State {
    id: GoroutineId,
    parent: Option<GoroutineId>,
    name: Option<Arc<str>>,
    spawned_at: &'static Location<'static>,
    /// Made at the first poll.
    span: OnceCell<tracing::Span>,
    /// tokio-console's task span, made with `span`.
    console: OnceCell<tracing::Span>,
    /// The task's waker last seen, and the recording waker wrapping it.
    waker: RefCell<Option<(Waker, Waker)>>,
    ended: Cell<bool>,
}

impl<F> Traced<F> {
    pub(crate) fn new(
        future: F,
        id: GoroutineId,
        parent: Option<GoroutineId>,
        name: Option<Arc<str>>,
        spawned_at: &'static Location<'static>,
    ) -> Traced<F> {
        Traced {
            future,
            state: Box::new(State {
                id,
                parent,
                name,
                spawned_at,
                span: OnceCell::new(),
                console: OnceCell::new(),
                waker: RefCell::new(None),
                ended: Cell::new(false),
            }),
        }
    }
}

impl<F: Future> Future for Traced<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let state = &**this.state;
        if state.span.get().is_none() {
            state.first_poll();
        }
        // tokio-console's task span outside, the goroutine's inside: what
        // the goroutine's code sees as its current span is the goroutine's.
        let console = state.console.get().and_then(tracing::Span::id);
        let _console = state.console.get().map(tracing::Span::enter);
        let _entered = state.span.get().map(tracing::Span::enter);
        let recording = recorder::recording();
        let start = recorder::now();
        let unwinding = Unwinding { state, start };
        let output = if recording || console.is_some() {
            // Inside goro's watch of the waker (`util::watched`), which
            // the recording waker would otherwise hide.
            let outer = cx.waker();
            let waker = state.waker(watched::waker(outer), console);
            watched::rewatch(outer, &waker, |cx| this.future.poll(cx))
        } else {
            this.future.poll(cx)
        };
        std::mem::forget(unwinding);
        if recording {
            recorder::poll(start, state.id.as_u64(), output.is_ready());
        }
        if output.is_ready() {
            state.ended(Outcome::Completed);
        }
        output
    }
}

impl State {
    #[cold]
    fn first_poll(&self) {
        let at = self.spawned_at;
        let span = goroutine_span(self.id, self.name.as_deref(), at, self.parent);
        // The spawner records who this goroutine is once the spawn has
        // returned; the goroutine may run first, and even end the process
        // (a panic exit writes the recording), so it says it too.
        recorder::identify(GoroutineInfo {
            id: self.id.as_u64(),
            name: self.name.clone(),
            spawned_at: at,
            parent: self.parent.map(GoroutineId::as_u64),
        });
        tracing::trace!(target: "goro::sched", parent: &span, "first poll");
        let _ = self.span.set(span);
        let _ = self
            .console
            .set(super::console_span(self.id, self.name.as_deref(), at));
    }

    /// The recording waker for this poll: the task's own waker, wrapped;
    /// its wakes also go to tokio-console's task span `console`.
    fn waker(&self, inner: &Waker, console: Option<tracing::Id>) -> Waker {
        let mut cache = self.waker.borrow_mut();
        if let Some((seen, wrapped)) = cache.as_ref() {
            if seen.will_wake(inner) {
                return wrapped.clone();
            }
        }
        let wrapped = Waker::from(Arc::new(RecordingWaker {
            target: self.id.as_u64(),
            console,
            inner: inner.clone(),
        }));
        *cache = Some((inner.clone(), wrapped.clone()));
        wrapped
    }

    /// Records the goroutine's end, once.
    fn ended(&self, outcome: Outcome) {
        if self.ended.replace(true) {
            return;
        }
        recorder::end(self.id.as_u64(), outcome);
        // (No span if it was never polled: the id says who.)
        let span = self.span.get().cloned().unwrap_or_else(tracing::Span::none);
        say_ended(&span, self.id, outcome);
    }
}

/// The lifecycle event of goroutine `id`'s end, in its span `span`.
pub(crate) fn say_ended(span: &tracing::Span, id: GoroutineId, outcome: Outcome) {
    let goroutine = id.as_u64();
    match outcome {
        Outcome::Completed => {
            tracing::trace!(target: "goro::sched", parent: span, goroutine, "completed")
        }
        Outcome::Panicked => {
            tracing::trace!(target: "goro::sched", parent: span, goroutine, "panicked")
        }
        Outcome::Cancelled => {
            tracing::trace!(target: "goro::sched", parent: span, goroutine, "cancelled")
        }
    }
}

/// The span `goroutine` a goroutine's code runs in, at target `goro::sched`.
pub(crate) fn goroutine_span(
    id: GoroutineId,
    name: Option<&str>,
    at: &'static Location<'static>,
    parent: Option<GoroutineId>,
) -> tracing::Span {
    tracing::info_span!(
        target: "goro::sched",
        parent: None,
        "goroutine",
        id = id.as_u64(),
        name,
        spawned_at = %format_args!("{}:{}", at.file(), at.line()),
        parent = parent.map(GoroutineId::as_u64),
    )
}

pin_project! {
    /// The main goroutine's future when goroutines were not traced as it
    /// started: it gets its span at the first poll at which they are (a
    /// subscriber installed inside main), and runs in it from then on.
    pub(crate) struct MainSpan<F> {
        #[pin]
        future: F,
        // With tokio-console's task span.
        span: Option<(tracing::Span, tracing::Span)>,
        spawned_at: &'static Location<'static>,
    }
}

impl<F> MainSpan<F> {
    pub(crate) fn new(future: F, spawned_at: &'static Location<'static>) -> MainSpan<F> {
        MainSpan {
            future,
            span: None,
            spawned_at,
        }
    }
}

impl<F: Future> Future for MainSpan<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if this.span.is_none() && super::active() {
            let at = *this.spawned_at;
            let spans = (
                goroutine_span(GoroutineId::MAIN, Some("main"), at, None),
                super::console_span(GoroutineId::MAIN, Some("main"), at),
            );
            // Traced for a recording alone, nothing wants the spans yet:
            // ask again at the next poll.
            if !(spans.0.is_disabled() && spans.1.is_disabled()) {
                *this.span = Some(spans);
            }
        }
        // As `Traced`: tokio-console's span outside, main's inside.
        let _entered = this
            .span
            .as_ref()
            .map(|(span, console)| (console.enter(), span.enter()));
        this.future.poll(cx)
    }
}

/// Records the poll and the panic when a traced poll unwinds.
struct Unwinding<'a> {
    state: &'a State,
    start: goro_trace::clock::Stamp,
}

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        recorder::poll(self.start, self.state.id.as_u64(), true);
        self.state.ended(Outcome::Panicked);
    }
}

/// A task's waker that records who wakes the goroutine.
struct RecordingWaker {
    target: u64,
    /// The goroutine's task span for tokio-console.
    console: Option<tracing::Id>,
    inner: Waker,
}

impl RecordingWaker {
    fn record(&self) {
        recorder::wake(self.target, context::current().map(GoroutineId::as_u64));
        if let Some(console) = &self.console {
            super::console_woken(console);
        }
    }
}

impl Wake for RecordingWaker {
    fn wake(self: Arc<Self>) {
        self.record();
        match Arc::try_unwrap(self) {
            Ok(waker) => waker.inner.wake(),
            Err(waker) => waker.inner.wake_by_ref(),
        }
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.record();
        self.inner.wake_by_ref();
    }
}
