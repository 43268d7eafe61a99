//! Go's toolbox around goroutines, as the Go-by-Example-shaped examples
//! use it: timers, tickers, context, errgroup and signals, each run as a
//! real program. Outputs that depend on timing (how many ticks) are
//! checked for their shape only.

mod support;

use support::process::{example, run, start};

#[test]
fn timers_the_first_fires_the_second_is_stopped() {
    let ended = run(example("timers"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(
        ended.stdout, "Timer 1 fired\nTimer 2 stopped\n",
        "{ended:?}"
    );
}

#[test]
fn tickers_print_wall_clock_ticks_until_stopped() {
    let ended = run(example("tickers"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    let lines: Vec<&str> = ended.stdout.lines().collect();
    assert_eq!(lines.last(), Some(&"Ticker stopped"), "{ended:?}");
    for tick in &lines[..lines.len() - 1] {
        // Tick at 2026-12-05 23:39:02.870579915 +0000 UTC
        let at = tick.strip_prefix("Tick at ").expect("a tick line");
        assert!(at.ends_with(" +0000 UTC"), "{tick}");
        let date: Vec<&str> = at[..10].split('-').collect();
        assert_eq!(date.len(), 3, "{tick}");
        assert!(
            date.iter().all(|part| part.parse::<u32>().is_ok()),
            "{tick}"
        );
    }
}

#[test]
fn context_the_handler_gives_up_at_the_clients_deadline() {
    let ended = run(example("context"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(
        ended.stdout,
        "server: hello handler started\n\
         server: context deadline exceeded\n\
         server: hello handler ended\n\
         client: request failed: context deadline exceeded\n",
        "{ended:?}"
    );
}

#[test]
fn errgroup_reports_the_failing_fetch() {
    let ended = run(example("errgroup"));
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    let last = ended.stdout.lines().last();
    assert_eq!(
        last,
        Some("error: Get \"http://www.somestupidname.com/\": no such host"),
        "{ended:?}"
    );
}

fn signal_ends_it_gracefully(signal: &str, printed: &str, trace: Option<&std::path::Path>) {
    let mut cmd = example("signals");
    if let Some(dir) = trace {
        cmd.env("GORO_TRACE", dir);
    }
    let mut child = start(cmd);
    child.wait_for(true, |line| line == "awaiting signal");
    child.signal(signal);
    child.wait_for(true, |line| line == "exiting");
    let status = child.wait();
    assert_eq!(status.code(), Some(0), "{:?}", child.seen);
    assert!(
        child.seen.iter().any(|line| line == printed),
        "{:?}",
        child.seen
    );
}

#[test]
fn signals_ctrl_c_and_sigterm_reach_the_program() {
    signal_ends_it_gracefully("INT", "interrupt", None);
    signal_ends_it_gracefully("TERM", "terminated", None);
}

#[test]
fn signals_a_recordings_ctrl_c_handler_steps_aside() {
    let dir = std::env::temp_dir().join(format!("goro-trace-signals-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    signal_ends_it_gracefully("INT", "interrupt", Some(&dir));
    assert!(
        dir.join("trace.json").exists(),
        "the trace is written at main's end"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
