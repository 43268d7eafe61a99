//! How long a program takes to exit once `main` has returned, with 100,000
//! live goroutines and 8 blocking calls stuck for an hour: goro against
//! `#[tokio::main]`.
//!
//! `cargo run --release --example exit_latency [RUNS]`
//!
//! The example runs itself as a child process, once per run and runtime.
//! The child starts the goroutines and the blocking calls, waits until all
//! of them are running, prints the wall-clock time and returns from `main`;
//! the parent notes the time `wait()` returns. Tokio's runtime drop waits
//! for blocking calls, so its child is killed after a 5 second grace.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const GOROUTINES: usize = 100_000;
const STUCK_CALLS: usize = 8;
const GRACE: Duration = Duration::from_secs(5);

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("child-goro") => child_goro(),
        Some("child-tokio") => child_tokio(),
        arg => parent(arg.map_or(Ok(5), str::parse).unwrap_or_else(|_| {
            eprintln!("exit_latency: RUNS must be a whole number");
            std::process::exit(2)
        })),
    }
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn stuck_for_an_hour() {
    std::thread::sleep(Duration::from_secs(3600));
}

fn child_goro() {
    goro::run(async {
        let running = goro::sync::WaitGroup::new();
        for _ in 0..GOROUTINES {
            running.add(1);
            let running = running.clone();
            goro::go!(async move {
                running.done();
                std::future::pending::<()>().await
            });
        }
        for _ in 0..STUCK_CALLS {
            running.add(1);
            let running = running.clone();
            goro::spawn_blocking(move || {
                running.done();
                stuck_for_an_hour()
            });
        }
        running.wait().await;
        println!("main-end {}", now_ns());
    });
}

#[tokio::main]
async fn child_tokio() {
    let running = goro::sync::WaitGroup::new();
    for _ in 0..GOROUTINES {
        running.add(1);
        let running = running.clone();
        tokio::spawn(async move {
            running.done();
            std::future::pending::<()>().await
        });
    }
    for _ in 0..STUCK_CALLS {
        running.add(1);
        let running = running.clone();
        tokio::task::spawn_blocking(move || {
            running.done();
            stuck_for_an_hour()
        });
    }
    running.wait().await;
    println!("main-end {}", now_ns());
}

/// One child run: `Some(latency)`, or `None` if it had not exited after GRACE.
fn measure(mode: &str) -> Option<Duration> {
    let exe = std::env::current_exe().expect("current_exe");
    let mut child = Command::new(exe)
        .arg(mode)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the child");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read the child's output");
    let main_end: u128 = line
        .trim()
        .strip_prefix("main-end ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected child output {line:?}"));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send(now_ns());
        status
    });
    match rx.recv_timeout(GRACE) {
        Ok(exited) => {
            waiter.join().unwrap().expect("wait for the child");
            Some(Duration::from_nanos(
                (exited.saturating_sub(main_end)) as u64,
            ))
        }
        Err(_) => {
            // Still running: the runtime is waiting for the stuck calls.
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            let _ = waiter.join();
            None
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn parent(runs: usize) {
    println!(
        "exit latency: main returns with {GOROUTINES} live goroutines and {STUCK_CALLS} blocking calls stuck for an hour"
    );
    let mut goro_runs = Vec::new();
    for _ in 0..runs.max(1) {
        match measure("child-goro") {
            Some(d) => goro_runs.push(d),
            None => println!("goro: did not exit within {GRACE:?}"),
        }
    }
    if !goro_runs.is_empty() {
        let all: Vec<String> = goro_runs.iter().map(|d| format!("{:.2}", ms(*d))).collect();
        println!(
            "goro:           median {:.2} ms over {} runs (each: {} ms)",
            ms(median(goro_runs.clone())),
            goro_runs.len(),
            all.join(", ")
        );
    }
    match measure("child-tokio") {
        Some(d) => println!("#[tokio::main]: exited after {:.2} ms", ms(d)),
        None => println!("#[tokio::main]: still running {GRACE:?} after main returned; killed"),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
