//! tokio-console sees goroutines (builds with `--cfg tokio_unstable`,
//! which console-subscriber requires): each traced goroutine gets the span
//! console-subscriber takes for a task (name `runtime.spawn`, with `kind`,
//! `task.name`, `task.id` and `loc.*` fields), entered for each poll, and
//! its wakes are the events console counts (target `runtime::waker`).
//!
//! The span's callsite is built here, not by `tracing`'s macros, so that
//! `listens` can ask whether a subscriber wants it without making a span.

use std::panic::Location;

use tracing::callsite::{Callsite, DefaultCallsite, Identifier};
use tracing::field::{FieldSet, Value};
use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::metadata::Kind;
use tracing::{Level, Metadata};

use crate::goroutine::id::GoroutineId;

static FIELDS: &[&str] = &[
    "kind",
    "task.name",
    "task.id",
    "loc.file",
    "loc.line",
    "loc.col",
];

static META: Metadata<'static> = Metadata::new(
    "runtime.spawn",
    "goro::console",
    Level::TRACE,
    Some(file!()),
    Some(line!()),
    Some(module_path!()),
    FieldSet::new(FIELDS, Identifier(&CALLSITE)),
    Kind::SPAN,
);

static CALLSITE: DefaultCallsite = DefaultCallsite::new(&META);

/// Whether a subscriber (console-subscriber's layer) wants goroutines'
/// task spans.
#[inline]
pub(crate) fn listens() -> bool {
    if Level::TRACE > STATIC_MAX_LEVEL || Level::TRACE > LevelFilter::current() {
        return false;
    }
    let interest = CALLSITE.interest();
    if interest.is_never() {
        return false;
    }
    interest.is_always() || tracing::dispatcher::get_default(|d| d.enabled(CALLSITE.metadata()))
}

/// The task span of goroutine `id`, or a disabled span if nothing listens.
/// Its `task.name` is the goroutine's name, or `goroutine N`.
pub(crate) fn span(
    id: GoroutineId,
    name: Option<&str>,
    at: &'static Location<'static>,
) -> tracing::Span {
    if !listens() {
        return tracing::Span::none();
    }
    let label = match name {
        Some(name) => format!("{name} (goroutine {})", id.as_u64()),
        None => format!("goroutine {}", id.as_u64()),
    };
    let fields = META.fields();
    let field = |name: &str| fields.field(name).expect("a field of the task span");
    let (kind, task_name, task_id, file, line, col) = (
        field("kind"),
        field("task.name"),
        field("task.id"),
        field("loc.file"),
        field("loc.line"),
        field("loc.col"),
    );
    let values: [(&tracing::field::Field, Option<&dyn Value>); 6] = [
        (&kind, Some(&"task" as &dyn Value)),
        (&task_name, Some(&label.as_str() as &dyn Value)),
        (&task_id, Some(&id.as_u64() as &dyn Value)),
        (&file, Some(&at.file() as &dyn Value)),
        (&line, Some(&at.line() as &dyn Value)),
        (&col, Some(&at.column() as &dyn Value)),
    ];
    tracing::Span::new_root(&META, &fields.value_set(&values))
}

/// The goroutine whose task span is `span` is woken: the event
/// console-subscriber counts as a wake.
pub(crate) fn woken(span: &tracing::Id) {
    tracing::trace!(target: "runtime::waker", op = "waker.wake", task.id = span.into_u64());
}
