//! Every goroutine runs in a `goroutine` span with its id, name, spawn
//! location and parent, and its lifecycle events go to `goro::sched`; the
//! watchdog's warning names a goroutine that blocks a worker.
//!
//! One test per binary would be the rule for a global subscriber; here one
//! subscriber records everything and each test looks at its own goroutines.
#![cfg(feature = "trace")]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// A span or event as recorded: its name or message and its fields.
#[derive(Clone, Debug, Default)]
struct Seen {
    fields: HashMap<String, String>,
    /// For events: the `id` of the enclosing `goroutine` span.
    goroutine: Option<String>,
}

#[derive(Default)]
struct Log {
    spans: Vec<Seen>,
    events: Vec<(String, Seen)>,
}

struct Recorder {
    log: Mutex<Log>,
    changed: Condvar,
}

impl Recorder {
    /// Waits (generously) until `ready` holds for the log.
    fn wait_for(&self, what: &str, ready: impl Fn(&Log) -> bool) {
        let log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (log, timeout) = self
            .changed
            .wait_timeout_while(log, Duration::from_secs(120), |log| !ready(log))
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "never saw {what}: {:#?} spans {:#?}",
            log.events,
            log.spans
        );
        drop(log);
    }
}

#[derive(Default)]
struct Fields(HashMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        self.0.insert(field.name().to_owned(), text);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

struct Capture(&'static Recorder);

/// The fields of a span, kept in its extensions.
struct SpanFields(HashMap<String, String>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "goroutine" {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        ctx.span(id)
            .unwrap()
            .extensions_mut()
            .insert(SpanFields(fields.0.clone()));
        self.0
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .spans
            .push(Seen {
                fields: fields.0,
                goroutine: None,
            });
        self.0.changed.notify_all();
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let target = event.metadata().target();
        if target != "goro::sched" && target != "goro::watchdog" && target != "app" {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let goroutine = ctx.event_scope(event).and_then(|scope| {
            scope
                .from_root()
                .find_map(|span| {
                    span.extensions()
                        .get::<SpanFields>()
                        .map(|f| f.0.get("id").cloned())
                })
                .flatten()
        });
        let message = fields.0.get("message").cloned().unwrap_or_default();
        self.0
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .events
            .push((
                message,
                Seen {
                    fields: fields.0,
                    goroutine,
                },
            ));
        self.0.changed.notify_all();
    }
}

fn recorder() -> &'static Recorder {
    static RECORDER: OnceLock<&'static Recorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder: &'static Recorder = Box::leak(Box::new(Recorder {
            log: Mutex::new(Log::default()),
            changed: Condvar::new(),
        }));
        let subscriber = tracing_subscriber::registry().with(Capture(recorder));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        recorder
    })
}

fn span_of(log: &Log, id: u64) -> Option<Seen> {
    log.spans
        .iter()
        .find(|s| s.fields.get("id") == Some(&id.to_string()))
        .cloned()
}

fn events_of(log: &Log, id: u64) -> Vec<String> {
    let id = id.to_string();
    log.events
        .iter()
        .filter(|(_, seen)| {
            seen.goroutine.as_ref() == Some(&id) || seen.fields.get("goroutine") == Some(&id)
        })
        .map(|(message, _)| message.clone())
        .collect()
}

#[test]
fn a_goroutine_runs_in_its_span_with_lifecycle_events() {
    let recorder = recorder();
    let (parent, child, line) = goro::Builder::new().panic(goro::Panic::Isolate).run(async {
        let parent = goro::id().unwrap();
        let worker = goro::Goroutine::new().name("worker");
        let (handle, line) = (worker.spawn(async { goro::id().unwrap() }), line!());
        let child = handle.await.unwrap();
        (parent, child, line)
    });
    recorder.wait_for("the child's completion", |log| {
        events_of(log, child.as_u64()).contains(&"completed".to_owned())
    });
    let log = recorder
        .log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let span = span_of(&log, child.as_u64()).expect("a goroutine span for the child");
    assert_eq!(span.fields.get("name").map(String::as_str), Some("worker"));
    assert_eq!(
        span.fields.get("spawned_at"),
        Some(&format!("crates/goro/tests/trace_spans.rs:{line}"))
    );
    assert_eq!(span.fields.get("parent"), Some(&parent.to_string()));
    assert_eq!(
        events_of(&log, child.as_u64()),
        ["spawned", "first poll", "completed"],
        "the child's lifecycle, in order"
    );
}

#[test]
fn aborted_and_panicked_goroutines_say_so() {
    let recorder = recorder();
    let (aborted, panicked) = goro::Builder::new().panic(goro::Panic::Isolate).run(async {
        let (started_tx, started_rx) = goro::chan::<()>(0);
        let stuck = goro::go!(async move {
            started_tx.send(()).await.unwrap();
            std::future::pending::<()>().await;
        });
        started_rx.recv().await.unwrap();
        let aborted = stuck.id();
        stuck.abort();
        assert!(stuck.await.unwrap_err().is_cancelled());
        let panics = goro::go!(async { panic!("on purpose") });
        let panicked = panics.id();
        assert!(panics.await.unwrap_err().is_panic());
        (aborted, panicked)
    });
    recorder.wait_for("both ends", |log| {
        events_of(log, aborted.as_u64()).contains(&"cancelled".to_owned())
            && events_of(log, panicked.as_u64()).contains(&"panicked".to_owned())
    });
}

#[test]
fn a_blocking_call_logs_in_its_callers_span() {
    let recorder = recorder();
    let caller = goro::Builder::new().run(async {
        let handle = goro::go!(async {
            goro::blocking(|| tracing::info!(target: "app", "from the blocking call")).await;
            goro::id().unwrap()
        });
        handle.await.unwrap()
    });
    recorder.wait_for("the blocking call's line", |log| {
        events_of(log, caller.as_u64()).contains(&"from the blocking call".to_owned())
    });
}

#[test]
fn a_spawn_blocking_goroutine_has_its_span_and_lifecycle() {
    let recorder = recorder();
    let (main, done, failed, line) = goro::Builder::new().panic(goro::Panic::Isolate).run(async {
        let builder = goro::Goroutine::new().name("blocker");
        let line = line!() + 1;
        let done = builder.spawn_blocking(|| tracing::info!(target: "app", "on the pool"));
        let id = done.id();
        done.await.unwrap();
        let failed = goro::spawn_blocking(|| panic!("on purpose, on the pool"));
        let failed_id = failed.id();
        assert!(failed.await.unwrap_err().is_panic());
        (goro::id().unwrap(), id, failed_id, line)
    });
    recorder.wait_for("both ends", |log| {
        events_of(log, done.as_u64()).contains(&"completed".to_owned())
            && events_of(log, failed.as_u64()).contains(&"panicked".to_owned())
    });
    let log = recorder
        .log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let span = span_of(&log, done.as_u64()).expect("a goroutine span for spawn_blocking");
    assert_eq!(span.fields.get("name").map(String::as_str), Some("blocker"));
    assert_eq!(
        span.fields.get("spawned_at"),
        Some(&format!("crates/goro/tests/trace_spans.rs:{line}"))
    );
    assert_eq!(span.fields.get("parent"), Some(&main.to_string()));
    assert_eq!(
        events_of(&log, done.as_u64()),
        ["spawned", "started", "on the pool", "completed"],
        "the goroutine's lifecycle, in order"
    );
    assert_eq!(
        events_of(&log, failed.as_u64()),
        ["spawned", "started", "panicked"]
    );
}

#[test]
fn the_watchdog_names_a_goroutine_that_blocks_a_worker() {
    let log = recorder();
    let (id, line) = goro::Builder::new()
        .worker_threads(2)
        .watchdog(Some(Duration::from_millis(20)))
        .run(async move {
            let sleeper = goro::Goroutine::new().name("sleeper");
            let line = line!() + 1;
            let blocker = sleeper.spawn(async move {
                // Blocks its worker until the watchdog has spoken (or two
                // minutes pass): a blocking call in async code, on purpose.
                let mut waited = Duration::ZERO;
                while waited < Duration::from_secs(120) {
                    let seen = log
                        .log
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .events
                        .iter()
                        .any(|(message, _)| message.contains("sleeper"));
                    if seen {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                    waited += Duration::from_millis(5);
                }
            });
            let id = blocker.id();
            blocker.await.unwrap();
            (id, line)
        });
    let log = log
        .log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (message, seen) = log
        .events
        .iter()
        .find(|(message, _)| message.contains("sleeper"))
        .expect("a watchdog warning");
    assert!(
        message.contains(&format!(
            "goroutine {id} [sleeper] spawned at crates/goro/tests/trace_spans.rs:{line}"
        )),
        "{message}"
    );
    assert!(message.contains("goro::blocking"), "{message}");
    assert_eq!(seen.fields.get("goroutine"), Some(&id.to_string()));
}
