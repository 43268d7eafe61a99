//! `go!`: what is evaluated in the caller, in which order, and what runs in
//! the new goroutine.

use std::sync::{Arc, Mutex};

use goro::GoroutineId;

/// What was evaluated, and in which goroutine.
type Entry = (String, Option<GoroutineId>);

/// Records which goroutine evaluated what, in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Entry>>>);

impl Log {
    fn note<T>(&self, what: &str, value: T) -> T {
        self.0.lock().unwrap().push((what.to_string(), goro::id()));
        value
    }
    fn entries(&self) -> Vec<Entry> {
        self.0.lock().unwrap().clone()
    }
}

fn add3(a: u32, b: u32, c: u32) -> u32 {
    a + b + c
}

async fn add_later(a: u32, b: u32) -> u32 {
    goro::gosched().await;
    a + b
}

#[goro::test]
async fn arguments_are_evaluated_in_the_caller_left_to_right() {
    let log = Log::default();
    let inner = log.clone();
    let handle = goro::go!(add3(log.note("a", 1), log.note("b", 2), log.note("c", 3)));
    // Evaluated before go! returned, in main, in order.
    assert_eq!(
        log.entries(),
        [
            ("a".to_string(), Some(GoroutineId::MAIN)),
            ("b".to_string(), Some(GoroutineId::MAIN)),
            ("c".to_string(), Some(GoroutineId::MAIN)),
        ]
    );
    assert_eq!(handle.await.unwrap(), 6);
    drop(inner);
}

#[goro::test]
async fn a_sync_callee_runs_in_the_new_goroutine() {
    fn whoami() -> Option<GoroutineId> {
        goro::id()
    }
    let handle = goro::go!(whoami());
    let id = handle.id();
    assert_eq!(handle.await.unwrap(), Some(id));
    assert_ne!(id, GoroutineId::MAIN);
}

#[goro::test]
async fn an_async_callee_is_awaited() {
    assert_eq!(goro::go!(add_later(40, 2)).await.unwrap(), 42);
}

#[goro::test]
async fn a_computed_callee_is_evaluated_in_the_caller_before_the_arguments() {
    let log = Log::default();
    let pick = |log: &Log| log.note("callee", add3 as fn(u32, u32, u32) -> u32);
    let handle = goro::go!(pick(&log)(log.note("arg", 1), 2, 3));
    let order: Vec<String> = log.entries().into_iter().map(|(what, _)| what).collect();
    assert_eq!(order, ["callee", "arg"]);
    assert_eq!(handle.await.unwrap(), 6);
}

struct Greeter {
    greeting: String,
}

impl Greeter {
    fn greet(&self, name: &str) -> String {
        format!("{}, {name}", self.greeting)
    }

    async fn greet_later(self: Arc<Self>, name: String) -> String {
        goro::gosched().await;
        format!("{}, {name}", self.greeting)
    }
}

#[goro::test]
async fn method_calls_evaluate_the_receiver_then_the_arguments_in_the_caller() {
    let log = Log::default();
    let greeter = Greeter {
        greeting: "hello".into(),
    };
    let handle = goro::go!(log.note("recv", greeter).greet(log.note("arg", "gopher")));
    let order: Vec<String> = log.entries().into_iter().map(|(what, _)| what).collect();
    assert_eq!(order, ["recv", "arg"]);
    assert_eq!(handle.await.unwrap(), "hello, gopher");
}

#[goro::test]
async fn an_async_method_borrowing_its_receiver_is_awaited() {
    let greeter = Arc::new(Greeter {
        greeting: "hi".into(),
    });
    let handle = goro::go!(greeter.clone().greet_later("there".to_string()));
    assert_eq!(handle.await.unwrap(), "hi, there");
    assert_eq!(Arc::strong_count(&greeter), 1);
}

#[goro::test]
async fn futures_and_async_blocks_become_the_goroutine() {
    let ready = std::future::ready(5);
    assert_eq!(goro::go!(ready).await.unwrap(), 5);
    let x = 10;
    assert_eq!(goro::go!(async move { x * 2 }).await.unwrap(), 20);
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = u8> + Send>> =
        Box::pin(async { 7 });
    assert_eq!(goro::go!(boxed).await.unwrap(), 7);
}

#[goro::test]
async fn a_call_returning_a_boxed_future_is_awaited() {
    fn make(n: u8) -> std::pin::Pin<Box<dyn std::future::Future<Output = u8> + Send>> {
        Box::pin(async move { n + 1 })
    }
    assert_eq!(goro::go!(make(1)).await.unwrap(), 2);
}

#[goro::test]
async fn a_call_returning_a_reference_or_unit_is_a_value() {
    fn name() -> &'static str {
        "goro"
    }
    fn nothing() {}
    assert_eq!(goro::go!(name()).await.unwrap(), "goro");
    goro::go!(nothing()).await.unwrap();
}

#[goro::test]
async fn generic_functions_infer_their_parameters() {
    fn wrap<T>(value: T) -> Option<T> {
        Some(value)
    }
    async fn double<T: std::ops::Add<Output = T> + Copy>(value: T) -> T {
        value + value
    }
    assert_eq!(goro::go!(wrap(3u8)).await.unwrap(), Some(3));
    assert_eq!(goro::go!(double(21i64)).await.unwrap(), 42);
    assert_eq!(goro::go!(double::<f64>(1.5)).await.unwrap(), 3.0);
}

#[goro::test]
async fn a_closure_value_is_called_in_the_new_goroutine() {
    let offset = 100;
    let add = move |x: u32| x + offset;
    assert_eq!(goro::go!(add(1)).await.unwrap(), 101);
}

#[goro::test]
async fn go_returns_at_once_without_waiting_for_the_goroutine() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = goro::go!(async move { rx.await.is_ok() });
    assert!(!handle.is_finished());
    tx.send(()).unwrap();
    assert!(handle.await.unwrap());
}

#[goro::test]
async fn ids_count_up_in_the_order_of_the_go_calls() {
    let first = goro::go!(async {});
    let second = goro::go!(async {});
    assert!(second.id() > first.id());
    first.await.unwrap();
    second.await.unwrap();
}

struct Worker {
    runs: u32,
}

impl Worker {
    async fn run(&mut self) -> u32 {
        self.runs += 1;
        self.runs
    }
}

#[goro::test]
async fn methods_taking_mut_self_work() {
    let worker = Worker { runs: 0 };
    assert_eq!(goro::go!(worker.run()).await.unwrap(), 1);
    let (tx, rx) = tokio::sync::mpsc::channel::<u8>(1);
    tx.send(4).await.unwrap();
    assert_eq!(goro::go!(rx.recv()).await.unwrap(), Some(4));
}

#[goro::test]
async fn results_that_are_send_but_not_sync_work() {
    fn cell(n: u32) -> std::cell::Cell<u32> {
        std::cell::Cell::new(n)
    }
    fn pass<T: Send + 'static>(value: T) -> goro::JoinHandle<T> {
        fn id<T>(value: T) -> T {
            value
        }
        goro::go!(id(value))
    }
    assert_eq!(goro::go!(cell(3)).await.unwrap().get(), 3);
    assert_eq!(pass(std::cell::Cell::new(5)).await.unwrap().get(), 5);
}

#[goro::test]
async fn a_parenthesised_or_forwarded_call_is_still_a_call() {
    macro_rules! forward {
        ($e:expr) => {
            goro::go!($e)
        };
    }
    fn whoami() -> Option<GoroutineId> {
        goro::id()
    }
    let handle = goro::go!((whoami()));
    let id = handle.id();
    assert_eq!(handle.await.unwrap(), Some(id));
    let handle = forward!(whoami());
    let id = handle.id();
    assert_eq!(handle.await.unwrap(), Some(id));
}

/// Go's `go func(msg string) { .. }("going")`: no warning in the caller's
/// code from the parentheses go! needs around a closure callee.
#[deny(unused_parens)]
#[goro::test]
async fn an_immediately_called_closure_needs_its_parentheses_and_gets_no_warning() {
    let (tx, rx) = goro::chan::<String>(1);
    goro::go!((move |msg: &str| tx.try_send(msg.to_string()).unwrap())(
        "going"
    ));
    assert_eq!(rx.recv().await.as_deref(), Some("going"));
}

/// A local closure that is `Clone` is a func value: go! copies it, so it
/// starts any number of goroutines without `.clone()` at each call.
#[goro::test]
async fn a_clone_closure_starts_many_goroutines_like_a_go_func_value() {
    let (tx, rx) = goro::chan::<u32>(8);
    let prefix = std::sync::Arc::new(100u32);
    let worker = move |id: u32| {
        let tx = tx.clone();
        let prefix = prefix.clone();
        async move { tx.send(*prefix + id).await.unwrap() }
    };
    for id in 1..=3 {
        goro::go!(worker(id));
    }
    goro::go!(worker(4));
    drop(worker);
    let mut got: Vec<u32> = Vec::new();
    for _ in 0..4 {
        got.push(rx.recv().await.unwrap());
    }
    got.sort_unstable();
    assert_eq!(got, [101, 102, 103, 104]);
}
