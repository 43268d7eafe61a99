//! `goro::Builder` and `goro::run`: options, errors, what `run` returns.

use goro::{BuildError, Builder, Panic};

#[test]
fn run_returns_the_main_goroutines_output() {
    assert_eq!(goro::run(async { "done" }), "done");
}

#[test]
fn run_runs_the_main_goroutine_on_a_worker() {
    let caller = std::thread::current().id();
    let (thread, name) = Builder::new().thread_name("gopher").run(async {
        let here = std::thread::current();
        (here.id(), here.name().map(String::from))
    });
    assert_ne!(thread, caller);
    assert_eq!(name.as_deref(), Some("gopher"));
}

#[test]
fn run_local_runs_a_main_goroutine_that_is_not_send_on_the_calling_thread() {
    let caller = std::thread::current().id();
    let borrowed = String::from("borrowed");
    let (out, thread, id, count) = goro::run_local(async {
        let local = std::rc::Rc::new(5);
        goro::gosched().await;
        let spawned = goro::go!(async { goro::id() }).await.unwrap();
        assert_ne!(spawned, Some(goro::GoroutineId::MAIN));
        (
            *local + borrowed.len(),
            std::thread::current().id(),
            goro::id(),
            goro::num_goroutine(),
        )
    });
    assert_eq!(out, 13);
    assert_eq!(thread, caller);
    assert_eq!(id, Some(goro::GoroutineId::MAIN));
    assert_eq!(count, 1);
}

#[test]
fn the_main_goroutine_counts_once_either_way() {
    assert_eq!(goro::run(async { goro::num_goroutine() }), 1);
    assert_eq!(goro::run_local(async { goro::num_goroutine() }), 1);
}

#[test]
fn isolate_resumes_a_run_local_main_panic_in_the_caller() {
    let caught = std::panic::catch_unwind(|| {
        Builder::new()
            .panic(Panic::Isolate)
            .run_local(async { panic!("local main went wrong") })
    });
    let payload = caught.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"local main went wrong")
    );
}

/// The name of the thread running the current goroutine.
fn thread_name() -> Option<String> {
    std::thread::current().name().map(String::from)
}

#[goro::test]
async fn goro_test_runs_a_send_body_on_a_worker() {
    goro::gosched().await;
    assert_eq!(thread_name().as_deref(), Some("goro"));
}

#[goro::test]
async fn goro_test_runs_a_body_that_is_not_send_on_the_test_thread() {
    let local = std::rc::Rc::new(());
    goro::gosched().await;
    assert_eq!(
        thread_name().as_deref(),
        Some("goro_test_runs_a_body_that_is_not_send_on_the_test_thread")
    );
    drop(local);
}

#[goro::test]
async fn goro_test_with_an_error_that_is_not_send_runs_on_a_worker(
) -> Result<(), Box<dyn std::error::Error>> {
    goro::gosched().await;
    assert_eq!(thread_name().as_deref(), Some("goro"));
    let n: u8 = "7".parse()?;
    assert_eq!(n, 7);
    Ok(())
}

#[goro::test]
#[should_panic(expected = "a failing test body")]
async fn goro_test_on_a_worker_reports_a_panic_as_a_failure() {
    goro::gosched().await;
    panic!("a failing test body");
}

#[test]
fn zero_worker_threads_is_refused() {
    let err = Builder::new()
        .worker_threads(0)
        .try_run(async {})
        .unwrap_err();
    assert!(matches!(err, BuildError::ZeroWorkerThreads));
    assert_eq!(
        err.to_string(),
        "worker_threads(0) is not valid: a runtime needs at least 1 worker thread"
    );
}

#[test]
fn zero_max_blocking_threads_is_refused() {
    let err = Builder::new()
        .max_blocking_threads(0)
        .try_run(async {})
        .unwrap_err();
    assert!(matches!(err, BuildError::ZeroMaxBlockingThreads));
}

#[test]
fn try_run_inside_a_runtime_is_refused_and_points_to_go() {
    goro::run(async {
        let err = Builder::new().try_run(async {}).unwrap_err();
        assert!(matches!(err, BuildError::InsideRuntime));
        assert!(err.to_string().contains("go!(..)"));
    });
}

#[tokio::test]
async fn run_inside_a_tokio_runtime_is_refused() {
    let err = Builder::new().try_run(async {}).unwrap_err();
    assert!(matches!(err, BuildError::InsideRuntime));
}

#[test]
fn thread_name_names_the_workers() {
    let name = Builder::new().thread_name("gopher").run(async {
        goro::spawn(async { std::thread::current().name().map(String::from) })
            .await
            .unwrap()
    });
    assert_eq!(name.as_deref(), Some("gopher"));
}

#[test]
fn max_blocking_threads_bounds_the_pool() {
    // With one blocking thread, two blocking calls run one after the other:
    // the second sees the first's effect.
    let order = Builder::new().max_blocking_threads(1).run(async {
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (l1, l2) = (log.clone(), log.clone());
        let first = goro::spawn_blocking(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            l1.lock().unwrap().push(1);
        });
        let second = goro::spawn_blocking(move || l2.lock().unwrap().push(2));
        first.await.unwrap();
        second.await.unwrap();
        let order = log.lock().unwrap().clone();
        order
    });
    assert_eq!(order, [1, 2]);
}

#[test]
fn isolate_resumes_a_main_panic_in_the_caller() {
    let caught = std::panic::catch_unwind(|| {
        Builder::new()
            .panic(Panic::Isolate)
            .run(async { panic!("main went wrong") })
    });
    let payload = caught.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"main went wrong"));
}

#[test]
fn runs_can_follow_each_other_and_each_main_is_goroutine_1() {
    for _ in 0..3 {
        let id = goro::run(async { goro::id() });
        assert_eq!(id, Some(goro::GoroutineId::MAIN));
    }
}

#[test]
fn panic_defaults_to_exit() {
    assert_eq!(Panic::default(), Panic::Exit);
}

#[goro::test]
async fn goro_test_returns_results() -> Result<(), std::num::ParseIntError> {
    let n: u8 = "7".parse()?;
    assert_eq!(n, 7);
    Ok(())
}

#[goro::test]
#[should_panic(expected = "expected failure")]
async fn goro_test_reports_a_panicking_body_as_a_failure() {
    panic!("expected failure");
}

/// `#[goro::test]` (as `#[goro::main]`) routes main's own `return`s, `?`s
/// and tail through the runtime, and leaves those of closures, async
/// blocks and nested functions alone.
#[goro::test]
async fn goro_test_body_returns_as_written() -> Result<(), String> {
    fn first_digit(s: &str) -> Option<u32> {
        s.chars().next()?.to_digit(10)
    }
    let parse = |s: &str| -> Result<u8, String> {
        let n = s.parse::<u8>().map_err(|e| e.to_string())?;
        Ok(n)
    };
    let later = async { Ok::<u8, String>(parse("4")? + 1) };
    assert_eq!(later.await, Ok(5));
    assert_eq!(parse("x").unwrap_err(), "invalid digit found in string");
    assert_eq!(first_digit(""), None);
    for i in 0.. {
        if i == 3 {
            return Ok(());
        }
        let _: u8 = parse("1")?;
    }
    Err("not reached".to_string())
}
