//! `goro::metrics()` as the metrics example exports it, and the
//! `GORO_SCHEDTRACE` line: both parsed from a real program's output.

mod support;

use std::collections::BTreeMap;

use support::process::{example, fixture, run};

/// One Prometheus exposition block: each sample's name (labels included)
/// and value.
fn blocks(stdout: &str) -> Vec<BTreeMap<String, f64>> {
    stdout
        .split("\n\n")
        .filter(|block| block.contains("goro_goroutines "))
        .map(|block| {
            block
                .lines()
                .filter(|line| !line.starts_with('#'))
                .map(|line| {
                    let (name, value) = line.rsplit_once(' ').expect("name value");
                    (name.to_string(), value.parse().expect("a number"))
                })
                .collect()
        })
        .collect()
}

/// A `GORO_SCHEDTRACE` line: its time and its `key=value` words, busy
/// shares as a list.
#[derive(Debug)]
struct Line {
    at_ms: u64,
    fields: BTreeMap<String, String>,
    busy: Vec<u32>,
}

fn parse_line(line: &str) -> Option<Line> {
    let rest = line.strip_prefix("goro: ")?;
    let (at, rest) = rest.split_once("ms: ")?;
    let at_ms = at.parse().ok()?;
    let (before, after) = rest.split_once("busy=[")?;
    let (busy, after) = after.split_once(']')?;
    let busy = busy
        .split_whitespace()
        .map(|share| share.strip_suffix('%')?.parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    let mut fields = BTreeMap::new();
    for word in before.split_whitespace().chain(after.split_whitespace()) {
        let (key, value) = word.split_once('=')?;
        fields.insert(key.to_string(), value.to_string());
    }
    Some(Line {
        at_ms,
        fields,
        busy,
    })
}

#[test]
fn the_example_exports_metrics_and_schedtrace_lines_parse() {
    let mut cmd = example("metrics");
    cmd.arg("50").env("GORO_SCHEDTRACE", "20ms");
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(0), "{ended:?}");

    let blocks = blocks(&ended.stdout);
    assert!(!blocks.is_empty(), "{ended:?}");
    let mut last_spawned = 0.0;
    for block in &blocks {
        let get = |name: &str| {
            *block
                .get(name)
                .unwrap_or_else(|| panic!("{name} in {block:?}"))
        };
        assert_eq!(get("goro_workers"), 2.0, "{block:?}");
        assert!(
            get("goro_goroutines") >= 10.0,
            "main, the reporter, eight workers: {block:?}"
        );
        let spawned = get("goro_goroutines_spawned_total");
        let ended_total = get("goro_goroutines_ended_total");
        assert!(spawned >= last_spawned, "{block:?}");
        assert!(spawned >= ended_total + 10.0, "{block:?}");
        assert_eq!(get("goro_panics_total"), 0.0);
        // One busy total per worker (threads are numbered in the order
        // they start, blocking-pool threads included).
        let busy = block
            .keys()
            .filter(|k| k.starts_with("goro_worker_busy_seconds_total{thread=\""))
            .count();
        assert_eq!(busy, 2, "{block:?}");
        last_spawned = spawned;
    }

    let lines: Vec<Line> = ended
        .stderr
        .lines()
        .map(|line| parse_line(line).unwrap_or_else(|| panic!("not a schedtrace line: {line:?}")))
        .collect();
    assert!(lines.len() >= 2, "{ended:?}");
    let keys = [
        "workers",
        "idle",
        "threads",
        "goroutines",
        "runqueue",
        "blocking",
        "queued",
        "spawned",
        "ended",
        "panics",
        "polls",
        "carriers",
        "idle_carriers",
    ];
    let mut spawned = 0;
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(
            line.fields.keys().map(String::as_str).collect::<Vec<_>>(),
            {
                let mut sorted = keys.to_vec();
                sorted.sort_unstable();
                sorted
            },
            "{line:?}"
        );
        assert_eq!(line.fields["workers"], "2", "{line:?}");
        assert_eq!(line.busy.len(), 2, "one share per worker: {line:?}");
        assert!(line.busy.iter().all(|&b| b <= 100), "{line:?}");
        for growth in ["spawned", "ended", "panics", "polls"] {
            let value = &line.fields[growth];
            assert!(value.starts_with('+'), "{growth} grows: {line:?}");
            value[1..].parse::<u64>().expect("a count");
        }
        for gauge in [
            "idle",
            "threads",
            "goroutines",
            "runqueue",
            "blocking",
            "queued",
            "carriers",
        ] {
            line.fields[gauge].parse::<u64>().expect("a count");
        }
        if i > 0 {
            assert!(line.at_ms > lines[i - 1].at_ms, "{lines:?}");
        }
        spawned += line.fields["spawned"][1..].parse::<u64>().unwrap();
    }
    // Every job starts a goroutine: the lines saw them start.
    assert!(spawned > 10, "{lines:?}");
}

#[test]
fn a_bad_schedtrace_period_fails_with_one_line() {
    let mut cmd = fixture("gomaxprocs");
    cmd.env("GORO_SCHEDTRACE", "often");
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(2), "{ended:?}");
    assert_eq!(
        ended.stderr,
        "goro: GORO_SCHEDTRACE=\"often\" is not valid: set it to a period such as 1s, 500ms or 100us, to off, or unset it\n"
    );
}

#[test]
fn schedtrace_off_prints_nothing() {
    for value in ["off", "0", ""] {
        let mut cmd = fixture("gomaxprocs");
        cmd.env("GORO_SCHEDTRACE", value);
        let ended = run(cmd);
        assert_eq!(ended.code(), Some(0), "{ended:?}");
        assert_eq!(ended.stderr, "", "GORO_SCHEDTRACE={value:?}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_schedtrace_thread_ends_with_its_runtime() {
    let mut cmd = fixture("schedtrace-ends");
    cmd.env("GORO_SCHEDTRACE", "3600s");
    let ended = run(cmd);
    assert_eq!(ended.code(), Some(0), "{ended:?}");
    assert_eq!(
        ended.stdout, "the schedtrace thread ended with its runtime\n",
        "{ended:?}"
    );
}
