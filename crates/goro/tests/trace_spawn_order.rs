//! A subscriber hears a goroutine's `spawned` before anything the goroutine
//! says itself, even when the goroutine starts running on another worker
//! before `spawn` has returned to its spawner.
//!
//! This subscriber takes its time over `spawned`: it waits (up to
//! [`HOLD`]) for the goroutine's first poll before it has heard it out. If
//! the goroutine could run while its spawn is being announced, it would be
//! heard first. Its own binary: the subscriber is global and slow.
#![cfg(feature = "trace")]

use std::fmt::Write as _;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// How long hearing `spawned` waits for the goroutine's first poll.
const HOLD: Duration = Duration::from_millis(500);

/// What the subscriber has heard (fully), in order: message and goroutine.
static HEARD: Mutex<Vec<(String, u64)>> = Mutex::new(Vec::new());
/// First polls begun being heard, by goroutine.
static POLLS: Mutex<Vec<u64>> = Mutex::new(Vec::new());
static POLLED: Condvar = Condvar::new();

#[derive(Default)]
struct Fields {
    message: String,
    goroutine: Option<u64>,
    id: Option<u64>,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "goroutine" => self.goroutine = Some(value),
            "id" => self.id = Some(value),
            _ => {}
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        }
    }
}

/// The id of a `goroutine` span.
struct GoroutineSpan(u64);

struct Slow;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Slow {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let (Some(goroutine), Some(span)) = (fields.id, ctx.span(id)) {
            span.extensions_mut().insert(GoroutineSpan(goroutine));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != "goro::sched" {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let goroutine = fields.goroutine.or_else(|| {
            ctx.event_span(event)
                .and_then(|span| span.extensions().get::<GoroutineSpan>().map(|g| g.0))
        });
        let Some(goroutine) = goroutine else { return };
        let heard = (fields.message.clone(), goroutine);
        match fields.message.as_str() {
            "first poll" => {
                HEARD
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(heard);
                POLLS
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(goroutine);
                POLLED.notify_all();
                return;
            }
            "spawned" => {
                let polls = POLLS.lock().unwrap_or_else(PoisonError::into_inner);
                let _ = POLLED
                    .wait_timeout_while(polls, HOLD, |polls| !polls.contains(&goroutine))
                    .unwrap_or_else(PoisonError::into_inner);
            }
            _ => {}
        }
        HEARD
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(heard);
    }
}

#[test]
fn spawned_is_heard_before_the_goroutines_own_events() {
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Slow))
        .expect("the only subscriber");
    let children = goro::Builder::new()
        .worker_threads(2)
        .watchdog(None)
        .run(async {
            // Spawned from the main goroutine on one worker: the other
            // worker can take the children at once, while they are spawned.
            let handles: Vec<_> = (0..3).map(|i| goro::go!(async move { i })).collect();
            let mut ids = Vec::new();
            for handle in handles {
                ids.push(handle.id().as_u64());
                handle.await.unwrap();
            }
            ids
        });
    let deadline = Instant::now() + Duration::from_secs(120);
    for child in children {
        let heard = loop {
            let heard: Vec<String> = HEARD
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .filter(|(_, g)| *g == child)
                .map(|(message, _)| message.clone())
                .collect();
            if heard.len() >= 3 || Instant::now() > deadline {
                break heard;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        assert_eq!(
            heard,
            ["spawned", "first poll", "completed"],
            "goroutine {child}'s lifecycle, in order"
        );
    }
}
