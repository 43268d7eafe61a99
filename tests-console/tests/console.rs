//! tokio-console's task list shows goroutines, by name and spawn location,
//! with their polls and wakes: console-subscriber's layer and gRPC server
//! run in this process, and the test reads the task list over gRPC, as the
//! `tokio-console` program does.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use console_api::field::{Name, Value};
use console_api::instrument::instrument_client::InstrumentClient;
use console_api::instrument::InstrumentRequest;
use console_api::tasks::Task;
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

const GENEROUS: Duration = Duration::from_secs(120);

/// What the console knows of a task: its fields, location and stats.
#[derive(Clone, Debug, Default)]
struct Seen {
    fields: HashMap<String, String>,
    file: String,
    polls: u64,
    wakes: u64,
}

fn fields(task: &Task) -> HashMap<String, String> {
    task.fields
        .iter()
        .filter_map(|field| {
            let name = match field.name.as_ref()? {
                Name::StrName(name) => name.clone(),
                Name::NameIdx(i) => format!("#{i}"),
            };
            let value = match field.value.as_ref()? {
                Value::DebugVal(v) | Value::StrVal(v) => v.clone(),
                Value::U64Val(v) => v.to_string(),
                Value::I64Val(v) => v.to_string(),
                Value::BoolVal(v) => v.to_string(),
            };
            Some((name, value))
        })
        .collect()
}

/// Watches the console's updates on `port` until `done` holds for the
/// tasks seen so far (by the console's task id), or the deadline passes.
fn watch(port: u16, done: impl Fn(&HashMap<u64, Seen>) -> bool) -> HashMap<u64, Seen> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let deadline = Instant::now() + GENEROUS;
        // The server starts on a thread of its own: try until it listens.
        let mut client = loop {
            match InstrumentClient::connect(format!("http://127.0.0.1:{port}")).await {
                Ok(client) => break client,
                Err(err) => {
                    assert!(Instant::now() < deadline, "no console server: {err}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        let mut updates = client
            .watch_updates(InstrumentRequest {})
            .await
            .expect("watch_updates")
            .into_inner();
        let mut tasks: HashMap<u64, Seen> = HashMap::new();
        while !done(&tasks) {
            let left = deadline.saturating_duration_since(Instant::now());
            let update = tokio::time::timeout(left, updates.message())
                .await
                .unwrap_or_else(|_| panic!("the console never showed it: {tasks:#?}"))
                .expect("an update")
                .expect("the stream goes on");
            let Some(task_update) = update.task_update else {
                continue;
            };
            for task in &task_update.new_tasks {
                let Some(id) = task.id.as_ref().map(|id| id.id) else {
                    continue;
                };
                let seen = tasks.entry(id).or_default();
                seen.fields = fields(task);
                seen.file = task
                    .location
                    .as_ref()
                    .and_then(|l| l.file.clone())
                    .unwrap_or_default();
            }
            for (id, stats) in &task_update.stats_update {
                let seen = tasks.entry(*id).or_default();
                seen.polls = stats.poll_stats.as_ref().map_or(0, |p| p.polls);
                seen.wakes = stats.wakes;
            }
        }
        tasks
    })
}

/// A layer that wants goro's `goroutine` spans (through its filter) and
/// does nothing with them.
struct Sched;

impl<S: tracing::Subscriber> Layer<S> for Sched {}

fn goroutine_named<'t>(tasks: &'t HashMap<u64, Seen>, name: &str) -> Option<&'t Seen> {
    tasks.values().find(|task| {
        task.fields
            .get("task.name")
            .is_some_and(|n| n.starts_with(&format!("{name} (goroutine ")))
    })
}

#[test]
fn console_lists_goroutines_with_names_polls_and_wakes() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let layer = console_subscriber::ConsoleLayer::builder()
        .server_addr(([127, 0, 0, 1], port))
        .publish_interval(Duration::from_millis(20))
        .spawn();
    // goro's own goroutine spans too, as a program that also logs has them.
    let sched = Sched.with_filter(tracing_subscriber::filter::filter_fn(|meta| {
        meta.target() == "goro::sched"
    }));
    tracing_subscriber::registry()
        .with(layer)
        .with(sched)
        .init();

    let tasks = goro::Builder::new().worker_threads(2).run(async move {
        // The task span is outside the goroutine's: what the goroutine's
        // code (and its blocking calls) sees as its span is the goroutine's.
        let current = || tracing::Span::current().metadata().map(|meta| meta.name());
        assert_eq!(current(), Some("goroutine"));
        let worker = goro::go!(async move { current() });
        assert_eq!(worker.await.unwrap(), Some("goroutine"));
        assert_eq!(goro::blocking(current).await, Some("goroutine"));
        let (release, released) = goro::chan::<()>(0);
        for i in 0..3 {
            let released = released.clone();
            let (go, gone) = goro::chan::<()>(0);
            let worker = goro::Goroutine::new()
                .name(format!("console-worker-{i}"))
                .spawn(async move {
                    gone.recv().await;
                    released.recv().await;
                });
            // Once it waits for `go`, sending wakes it: one wake, two polls
            // at least.
            while !matches!(
                goro::dump().get(worker.id()).map(|g| g.state().clone()),
                Some(goro::State::ChanReceive { .. })
            ) {
                goro::gosched().await;
            }
            go.send(()).await.unwrap();
        }
        // The console's client runs a Tokio runtime of its own, on a
        // thread of its own.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let tasks = watch(port, |tasks| {
                (0..3).all(|i| {
                    goroutine_named(tasks, &format!("console-worker-{i}"))
                        .is_some_and(|task| task.polls >= 2 && task.wakes >= 1)
                })
            });
            tx.send(tasks).unwrap();
        });
        let tasks = goro::blocking(move || rx.recv().unwrap()).await;
        drop(release);
        tasks
    });

    for i in 0..3 {
        let name = format!("console-worker-{i}");
        let task = goroutine_named(&tasks, &name).unwrap_or_else(|| panic!("{name}: {tasks:#?}"));
        assert_eq!(
            task.fields.get("kind").map(String::as_str),
            Some("task"),
            "{task:?}"
        );
        assert!(task.file.ends_with("tests/console.rs"), "{task:?}");
        assert!(task.fields.contains_key("task.id"), "{task:?}");
    }
    // Main is listed as a goroutine too, once the layer listened.
    assert!(goroutine_named(&tasks, "main").is_some(), "{tasks:#?}");
}
