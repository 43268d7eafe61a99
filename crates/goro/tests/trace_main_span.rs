//! A subscriber installed inside main (after the runtime started): main's
//! own lines carry its `goroutine` span from main's next poll on. One test:
//! the subscriber is global, and installed by it.
#![cfg(feature = "trace")]

use std::sync::{Arc, Mutex};

use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Each `app` event's message, and the id of the goroutine span it was in.
type Lines = Arc<Mutex<Vec<(String, Option<String>)>>>;

struct Capture(Lines);

struct Name(String);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut name = String::new();
        attrs.record(
            &mut |field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
                if field.name() == "id" {
                    name = format!("{value:?}");
                }
            },
        );
        ctx.span(id).unwrap().extensions_mut().insert(Name(name));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != "app" {
            return;
        }
        let mut message = String::new();
        event.record(
            &mut |field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
                if field.name() == "message" {
                    message = format!("{value:?}");
                }
            },
        );
        let span = ctx
            .event_scope(event)
            .and_then(|scope| scope.from_root().last())
            .and_then(|span| span.extensions().get::<Name>().map(|n| n.0.clone()));
        self.0.lock().unwrap().push((message, span));
    }
}

#[test]
fn main_gets_its_span_once_a_subscriber_listens() {
    let lines: Lines = Arc::default();
    let captured = lines.clone();
    goro::run(async move {
        let subscriber = tracing_subscriber::registry().with(Capture(captured));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        tracing::info!(target: "app", "in the poll that installed it");
        goro::gosched().await;
        tracing::info!(target: "app", "after a wait");
        goro::go!(async { tracing::info!(target: "app", "from a goroutine") })
            .await
            .unwrap();
    });
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], ("in the poll that installed it".to_owned(), None));
    assert_eq!(lines[1], ("after a wait".to_owned(), Some("1".to_owned())));
    assert_eq!(lines[2].0, "from a goroutine");
    let spawned = lines[2].1.as_deref().expect("the goroutine's span");
    assert_ne!(spawned, "1", "{lines:?}");
}
