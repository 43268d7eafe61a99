//! Log lines that say which goroutine wrote them: every goroutine runs in a
//! `tracing` span `goroutine` (id, name, spawn location, parent), and so do
//! its blocking calls and `spawn_blocking` goroutines. The spans are at
//! target `goro::sched`, so a filter must let them through:
//!
//! `RUST_LOG=logging=info,goro::sched=info cargo run --example logging`
//!
//! The subscriber is installed inside main, as most programs do: main's
//! own lines carry its span from its first wait on (here, the workers'
//! WaitGroup); a program that installs it before `goro::run` has main's
//! span from the start.

use goro::sync::WaitGroup;
use tracing_subscriber::EnvFilter;

async fn worker(job: u32) {
    tracing::info!(job, "working");
    goro::blocking(move || tracing::info!(job, "in a blocking call")).await;
}

#[goro::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    tracing::info!("starting");
    let workers = WaitGroup::new();
    for job in 0..3 {
        workers.add(1);
        let done = workers.clone();
        goro::Goroutine::new()
            .name(format!("worker-{job}"))
            .spawn(async move {
                worker(job).await;
                done.done();
            });
    }
    workers.wait().await;
    let sum = goro::spawn_blocking(|| {
        tracing::info!("summing on the blocking pool");
        (0..3).sum::<u32>()
    })
    .await
    .unwrap();
    tracing::info!(sum, "done");
}
