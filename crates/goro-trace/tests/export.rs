//! The exporters on hand-built recordings: trace.json checked structurally
//! (and the way Perfetto binds flows), summary.txt to the nanosecond on a
//! small trace, timeline.html for shape and size.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{sieve, Builder};
use goro_trace::export::{write_chrome_json, write_files, write_summary, write_timeline_html};
use goro_trace::{Event, Outcome, ThreadKind, Trace};
use serde_json::Value;

fn chrome(trace: &Trace) -> Value {
    let mut out = Vec::new();
    write_chrome_json(trace, &mut out).unwrap();
    serde_json::from_slice(&out).expect("trace.json is valid JSON")
}

fn summary(trace: &Trace) -> String {
    let mut out = Vec::new();
    write_summary(trace, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn timeline(trace: &Trace) -> String {
    let mut out = Vec::new();
    write_timeline_html(trace, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Microseconds with three decimals, back to nanoseconds.
fn ns(v: &Value) -> u64 {
    let us = v.as_f64().expect("a number");
    assert!(us >= 0.0);
    (us * 1000.0).round() as u64
}

fn events(json: &Value) -> &Vec<Value> {
    json["traceEvents"]
        .as_array()
        .expect("traceEvents is an array")
}

/// A slice on a thread track, as Perfetto would keep it.
#[derive(Clone, Debug)]
struct Open {
    start: u64,
    end: u64,
    cat: String,
    name: String,
}

/// What a structural check found, for further assertions.
#[derive(Default, Debug)]
struct Found {
    /// `X` slices by category.
    slices: BTreeMap<String, usize>,
    /// Flows by name (`spawn`, `wake`, `blocking`).
    flows: BTreeMap<String, usize>,
    /// Categories of the slices flow starts bound to.
    flow_sources: BTreeMap<String, usize>,
    instants: usize,
    lifetimes: usize,
}

/// Checks `json` against the Chrome Trace Event Format as Perfetto reads
/// it, and against `trace`.
fn check_chrome(json: &Value, trace: &Trace) -> Found {
    assert!(json.is_object());
    // Older Perfetto took displayTimeUnit as the unit of ts; leave it out.
    assert!(json.get("displayTimeUnit").is_none());
    let events = events(json);
    let mut found = Found::default();

    // Every event: a phase, pid 1, an integer tid.
    for e in events {
        let ph = e["ph"].as_str().expect("ph");
        assert!(
            ["M", "X", "s", "f", "b", "e", "i"].contains(&ph),
            "unexpected phase {ph}"
        );
        assert_eq!(e["pid"].as_u64(), Some(1), "{e}");
        assert!(e["tid"].is_u64(), "{e}");
        if ph != "M" {
            ns(&e["ts"]);
            assert!(e["name"].is_string(), "{e}");
            assert!(e["cat"].is_string(), "{e}");
        }
    }

    // Metadata: the process and every thread, named, sorted main, workers,
    // blocking.
    let meta = |name: &'static str| {
        events
            .iter()
            .filter(move |e| e["ph"] == "M" && e["name"] == name)
    };
    let process: Vec<_> = meta("process_name").collect();
    assert_eq!(process.len(), 1);
    assert_eq!(process[0]["args"]["name"], "goro");
    let mut sort_index = HashMap::new();
    for e in meta("thread_sort_index") {
        sort_index.insert(
            e["tid"].as_u64().unwrap(),
            e["args"]["sort_index"].as_i64().unwrap(),
        );
    }
    for thread in &trace.threads {
        let names: Vec<_> = meta("thread_name")
            .filter(|e| e["tid"] == thread.tid)
            .collect();
        assert_eq!(names.len(), 1, "one thread_name for tid {}", thread.tid);
        let name = names[0]["args"]["name"].as_str().unwrap();
        assert!(
            name.starts_with(&thread.name),
            "{name} names {}",
            thread.name
        );
        let kind = match thread.kind {
            ThreadKind::Main => "(main)",
            ThreadKind::Worker => "(worker ",
            ThreadKind::Blocking => "(blocking ",
            ThreadKind::Other => "(other)",
        };
        assert!(name.contains(kind), "{name} says {kind}");
        assert!(sort_index.contains_key(&u64::from(thread.tid)));
    }
    for a in &trace.threads {
        for b in &trace.threads {
            if a.kind < b.kind {
                assert!(sort_index[&u64::from(a.tid)] < sort_index[&u64::from(b.tid)]);
            }
        }
    }

    // X slices per tid never overlap.
    let mut by_tid: BTreeMap<u64, Vec<Open>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let start = ns(&e["ts"]);
        let end = start + ns(&e["dur"]);
        let cat = e["cat"].as_str().unwrap().to_string();
        *found.slices.entry(cat.clone()).or_default() += 1;
        let name = e["name"].as_str().unwrap().to_string();
        by_tid
            .entry(e["tid"].as_u64().unwrap())
            .or_default()
            .push(Open {
                start,
                end,
                cat,
                name,
            });
    }
    for (tid, slices) in &mut by_tid {
        slices.sort_by_key(|s| (s.start, s.end));
        for pair in slices.windows(2) {
            assert!(
                pair[1].start >= pair[0].end,
                "tid {tid}: {:?} overlaps {:?}",
                pair[0],
                pair[1]
            );
        }
    }

    // Polls: one slice per recorded poll, with the goroutine's identity.
    let polls = trace
        .events
        .iter()
        .filter(|e| matches!(e, Event::Poll { .. }))
        .count();
    assert_eq!(found.slices.get("poll").copied().unwrap_or(0), polls);
    for e in events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "poll")
    {
        let args = &e["args"];
        let id = args["goroutine"].as_u64().expect("goroutine id");
        let Some(info) = trace.goroutines.get(&id) else {
            // A goroutine whose identity was not recorded.
            assert_eq!(args["spawned_at"], "(unknown)");
            assert!(args["name"].is_null() && args["parent"].is_null());
            continue;
        };
        assert_eq!(args["spawned_at"].as_str(), Some(info.site().as_str()));
        match &info.name {
            Some(name) => {
                assert_eq!(args["name"].as_str(), Some(&**name));
                assert_eq!(e["name"].as_str(), Some(info.label().as_str()));
            }
            None => assert!(args["name"].is_null()),
        }
        assert_eq!(args["parent"].as_u64(), info.parent);
    }
    let runs = trace
        .events
        .iter()
        .filter(|e| matches!(e, Event::BlockingRun { .. }))
        .count();
    assert_eq!(found.slices.get("blocking").copied().unwrap_or(0), runs);

    // Flows: each id has one s and one f (bp e), same name and category,
    // and binds, the way Perfetto binds, to a slice enclosing it: read the
    // events in time order (file order for equal times), keep a stack of
    // slices per thread, bind to the top of the stack.
    let mut order: Vec<&Value> = events.iter().filter(|e| e["ph"] != "M").collect();
    order.sort_by_key(|e| ns(&e["ts"]));
    let mut stacks: HashMap<u64, Vec<Open>> = HashMap::new();
    let mut starts: HashMap<u64, (&Value, Open)> = HashMap::new();
    let mut ends: HashMap<u64, (&Value, Open)> = HashMap::new();
    for e in order {
        let tid = e["tid"].as_u64().unwrap();
        let ts = ns(&e["ts"]);
        let stack = stacks.entry(tid).or_default();
        match e["ph"].as_str().unwrap() {
            "X" | "i" if e["ph"] == "X" || e["s"] == "t" => {
                while stack.last().is_some_and(|top| top.end <= ts) {
                    stack.pop();
                }
                let end = ts + if e["ph"] == "X" { ns(&e["dur"]) } else { 0 };
                let cat = e["cat"].as_str().unwrap().to_string();
                let name = e["name"].as_str().unwrap().to_string();
                stack.push(Open {
                    start: ts,
                    end,
                    cat,
                    name,
                });
            }
            ph @ ("s" | "f") => {
                let id = e["id"].as_u64().expect("numeric flow id");
                let top = stack
                    .last()
                    .unwrap_or_else(|| panic!("{e}: no slice to bind to"))
                    .clone();
                assert!(
                    top.start <= ts && ts <= top.end,
                    "{e} binds to {top:?}, which does not enclose it"
                );
                let map = if ph == "s" { &mut starts } else { &mut ends };
                assert!(
                    map.insert(id, (e, top)).is_none(),
                    "flow {id} has two {ph} events"
                );
                if ph == "f" {
                    assert_eq!(e["bp"], "e", "{e}");
                    assert!(starts.contains_key(&id), "flow {id} ends before it starts");
                }
            }
            _ => {}
        }
    }
    assert_eq!(starts.len(), ends.len());
    for (id, (s, source)) in &starts {
        let (f, target) = ends.get(id).unwrap_or_else(|| panic!("flow {id} has no f"));
        assert_eq!(s["name"], f["name"]);
        assert_eq!(s["cat"], f["cat"]);
        let name = s["name"].as_str().unwrap();
        assert!(["spawn", "wake", "blocking"].contains(&name));
        *found.flows.entry(name.to_string()).or_default() += 1;
        assert!(
            ["poll", "blocking", "marker"].contains(&source.cat.as_str()),
            "{s} from {source:?}"
        );
        if source.cat == "marker" {
            assert_eq!(source.name, name, "a marker is named after its flow");
            assert_eq!(source.start, source.end, "markers have no length");
        }
        *found.flow_sources.entry(source.cat.clone()).or_default() += 1;
        let want = if name == "blocking" {
            "blocking"
        } else {
            "poll"
        };
        assert!(
            target.cat == want || (name == "spawn" && target.cat == "blocking"),
            "{f} into {target:?}"
        );
    }

    // Async lifetimes: a b and an e per goroutine id.
    let mut lifetimes: HashMap<u64, (Vec<u64>, Vec<u64>)> = HashMap::new();
    for e in events.iter().filter(|e| e["ph"] == "b" || e["ph"] == "e") {
        assert_eq!(e["cat"], "goroutine");
        let id = e["id"].as_u64().expect("numeric id");
        let entry = lifetimes.entry(id).or_default();
        let ts = ns(&e["ts"]);
        if e["ph"] == "b" {
            entry.0.push(ts);
        } else {
            entry.1.push(ts);
        }
    }
    for (id, (b, e)) in &lifetimes {
        assert_eq!((b.len(), e.len()), (1, 1), "goroutine {id}");
        assert!(b[0] <= e[0]);
        let mentioned = |e: &Event| match *e {
            Event::Spawn { goroutine, .. }
            | Event::Poll { goroutine, .. }
            | Event::End { goroutine, .. }
            | Event::Blocked { goroutine, .. } => goroutine == *id,
            Event::Wake { target, .. } => target == *id,
            Event::BlockingRun { goroutine, .. } => goroutine == Some(*id),
            _ => false,
        };
        assert!(trace.goroutines.contains_key(id) || trace.events.iter().any(mentioned));
    }
    found.lifetimes = lifetimes.len();

    // Watchdog reports are thread instants.
    let blocked = trace
        .events
        .iter()
        .filter(|e| matches!(e, Event::Blocked { .. }))
        .count();
    found.instants = events.iter().filter(|e| e["ph"] == "i").count();
    assert_eq!(found.instants, blocked);
    for e in events.iter().filter(|e| e["ph"] == "i") {
        assert_eq!(e["s"], "p", "process-scoped, so that it captures no flow");
        assert!(e["args"]["blocked_for_ns"].is_u64());
    }
    found
}

/// Main spawns `a` and an unnamed goroutine on a worker; wakes, a park, a
/// watchdog report. The numbers in `summary_numbers_are_exact` are worked
/// out from this by hand.
fn small() -> Trace {
    let mut b = Builder::default();
    b.thread(1, "main", ThreadKind::Main);
    b.thread(2, "goro-worker-0", ThreadKind::Worker);
    b.goroutine(1, Some("main"), None);
    // Both from one spawn site.
    for (id, name) in [(2, Some("a")), (3, None)] {
        b.goroutine(id, name, Some(1));
    }
    b.poll(1, 1, 0, 10_000, false);
    b.spawn(1, 2_000, 2, Some(1));
    b.spawn(1, 4_000, 3, Some(1));
    b.poll(2, 2, 5_000, 8_000, false);
    b.wake(2, 6_000, 2, Some(2)); // during its own poll: runnable from 8 µs
    b.poll(2, 3, 8_000, 9_000, false);
    b.poll(2, 2, 9_000, 10_000, false);
    b.push(Event::Park { ts: 10_000, tid: 2 });
    b.poll(1, 1, 11_000, 13_000, false);
    b.wake(1, 12_000, 3, Some(1));
    b.push(Event::Unpark { ts: 14_000, tid: 2 });
    b.poll(2, 3, 15_000, 16_000, true);
    b.wake(2, 15_500, 2, Some(3));
    b.end(2, 16_000, 3, Outcome::Completed);
    b.poll(2, 2, 17_000, 20_000, true);
    b.push(Event::Blocked {
        ts: 19_000,
        tid: 2,
        goroutine: 2,
        blocked_for: 2_000,
    });
    b.wake(2, 20_000, 1, Some(2));
    b.end(2, 20_000, 2, Outcome::Completed);
    b.poll(1, 1, 20_500, 21_000, true);
    b.end(1, 21_000, 1, Outcome::Completed);
    b.finish(22_000)
}

/// The words of the first line containing `needle`.
fn words_of<'s>(text: &'s str, needle: &str) -> Vec<&'s str> {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
        .split_whitespace()
        .collect()
}

/// The words of the `what` line of the per-goroutine figures of `site`.
fn per_goroutine<'s>(text: &'s str, site: &str, what: &str) -> Vec<&'s str> {
    let section = &text[text
        .find("Per goroutine, by spawn location")
        .expect("the section")..];
    let block = &section[section
        .find(&format!("  {site}"))
        .expect("the site's block")..];
    words_of(block, &format!("    {what} "))
}

#[test]
fn summary_per_goroutine_figures_are_exact() {
    let trace = small();
    let text = summary(&trace);
    let a_site = trace.goroutines[&2].site();
    assert!(
        text.contains(&format!("  {a_site} (a): 2 goroutines\n")),
        "{text}"
    );
    // a and the unnamed one: busy 7 and 2 µs, lifetimes 18 (2 -> 20) and
    // 12 µs (4 -> 16), 3 and 2 polls; nearest rank of two: p50 is the
    // smaller, p90 the larger.
    assert_eq!(
        per_goroutine(&text, &a_site, "busy"),
        [
            "busy", "mean", "4.50", "µs", "p50", "2.00", "µs", "p90", "7.00", "µs", "max", "7.00",
            "µs"
        ]
    );
    assert_eq!(
        per_goroutine(&text, &a_site, "lifetime"),
        [
            "lifetime", "mean", "15.0", "µs", "p50", "12.0", "µs", "p90", "18.0", "µs", "max",
            "18.0", "µs"
        ]
    );
    assert_eq!(
        per_goroutine(&text, &a_site, "polls"),
        ["polls", "mean", "2.5", "p50", "2", "p90", "3", "max", "3"]
    );
    let main_site = trace.goroutines[&1].site();
    assert!(text.contains(&format!("  {main_site} (main): 1 goroutine\n")));
    // Every goroutine ended.
    assert!(text.contains("Goroutines alive at the end: 0 (whose end the recording did not see)\n"));
}

#[test]
fn summary_lists_goroutines_alive_at_the_end() {
    let mut b = Builder::default();
    b.thread(1, "goro-worker-0", ThreadKind::Worker);
    b.goroutine(1, Some("main"), None);
    b.goroutine(2, Some("stuck"), Some(1));
    b.goroutine(3, None, Some(1));
    b.poll(1, 1, 0, 1_000, false);
    b.spawn(1, 500, 2, Some(1));
    b.spawn(1, 600, 3, Some(1));
    b.poll(1, 2, 2_000, 3_000, false);
    b.end(1, 4_000, 1, Outcome::Completed);
    let mut trace = b.finish(5_000);
    let text = summary(&trace);
    let alive: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Goroutines alive at the end"))
        .take(3)
        .collect();
    assert_eq!(
        alive[0],
        "Goroutines alive at the end: 2 (whose end the recording did not see)"
    );
    assert!(
        alive[1].starts_with("  stuck #2") && alive[1].contains("[waiting]"),
        "{alive:?}"
    );
    assert!(alive[1].contains("busy 1.00 µs, 1 polls"), "{alive:?}");
    assert!(
        alive[2].starts_with("  #3") && alive[2].contains("[runnable]"),
        "{alive:?}"
    );

    // As the runtime saw them, when it says.
    trace.alive = Some(vec![goro_trace::AliveGoroutine {
        id: 2,
        name: Some("stuck".into()),
        state: "chan receive".into(),
        since: 3_000_000,
        spawned_at: trace.goroutines[&2].spawned_at,
    }]);
    let text = summary(&trace);
    let line = words_of(&text, "  stuck #2");
    assert_eq!(
        line[..5],
        ["stuck", "#2", "[chan", "receive,", "3.00"],
        "{text}"
    );
    assert!(text.contains("Goroutines alive at the end: 1 (states as goro's dump saw them)\n"));
}

#[test]
fn summary_numbers_are_exact() {
    let trace = small();
    let text = summary(&trace);
    let main_site = trace.goroutines[&1].site();
    let a_site = trace.goroutines[&2].site();
    // main: busy 10+2+0.5 µs; scheduled 0.5 µs (wake at 20 µs, poll at
    // 20.5); lifetime 0..21 µs, so idle 8 µs; 3 polls.
    assert_eq!(
        words_of(&text, &main_site),
        [
            "1",
            "12.5",
            "µs",
            "500",
            "ns",
            "0",
            "ns",
            "8.00",
            "µs",
            "3",
            main_site.as_str(),
            "(main)"
        ]
    );
    // a and the unnamed one: busy 3+1+3 and 1+1 µs; scheduled: spawn 3 µs,
    // own-poll wake 1 µs (8 -> 9), wake 1.5 µs (15.5 -> 17); spawn 4 µs,
    // wake 3 µs (12 -> 15); idle 18-7-5.5 and 12-2-7 µs.
    assert_eq!(
        words_of(&text, &a_site),
        [
            "2",
            "9.00",
            "µs",
            "12.5",
            "µs",
            "0",
            "ns",
            "8.50",
            "µs",
            "5",
            a_site.as_str(),
            "(a)"
        ]
    );
    // Busiest site first.
    let main_at = text.find(&main_site).unwrap();
    let a_at = text.find(&a_site).unwrap();
    assert!(main_at < a_at);
    // Wake latencies 0.5, 1, 1.5, 3 µs; spawn latencies 3, 4 µs.
    assert_eq!(
        words_of(&text, "wake -> next poll"),
        [
            "wake", "->", "next", "poll", "n=4", "p50", "1.00", "µs", "p90", "3.00", "µs", "p99",
            "3.00", "µs", "max", "3.00", "µs"
        ]
    );
    assert_eq!(
        words_of(&text, "spawn -> first poll"),
        [
            "spawn", "->", "first", "poll", "n=2", "p50", "3.00", "µs", "p90", "4.00", "µs", "p99",
            "4.00", "µs", "max", "4.00", "µs"
        ]
    );
    // The worker: 5 polls, 9 µs of 22 busy, parked 10 -> 14 µs.
    assert_eq!(
        words_of(&text, "goro-worker-0 (worker 0)"),
        [
            "goro-worker-0",
            "(worker",
            "0)",
            "5",
            "9.00",
            "µs",
            "40.9%",
            "4.00",
            "µs",
            "18.2%"
        ]
    );
    assert_eq!(
        words_of(&text, "main (main)")[2..6],
        ["3", "12.5", "µs", "56.8%"]
    );
    // Longest polls: main's 10 µs, then a's two 3 µs polls, earlier first.
    let longest: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Longest polls"))
        .skip(1)
        .take(3)
        .collect();
    assert!(
        longest[0].contains("10.0 µs") && longest[0].contains("main #1"),
        "{longest:?}"
    );
    assert!(
        longest[1].contains("3.00 µs")
            && longest[1].contains("a #2")
            && longest[1].contains("+5.00 µs")
    );
    assert!(
        longest[2].contains("3.00 µs")
            && longest[2].contains("a #2")
            && longest[2].contains("+17.0 µs")
    );
    assert!(text.contains("Watchdog: 1 blocked-worker reports"));
    assert!(text.contains("Dropped events: 0"));
    assert!(!text.contains("WARNING"));
}

#[test]
fn dropped_events_warn() {
    let mut trace = small();
    trace.dropped = 1234;
    let text = summary(&trace);
    assert!(
        text.lines()
            .any(|l| l.starts_with("WARNING: 1,234 events were dropped")),
        "{text}"
    );
    assert!(timeline(&trace).contains("1,234 events were dropped"));
    assert_eq!(chrome(&trace)["otherData"]["dropped_events"], 1234);
}

#[test]
fn small_trace_json_is_exact_about_flows() {
    let trace = small();
    let json = chrome(&trace);
    let found = check_chrome(&json, &trace);
    // Two spawns and four wakes (including the one during its own poll and
    // the one at the end of a's last poll), all from inside polls.
    assert_eq!(found.flows.get("spawn"), Some(&2));
    assert_eq!(found.flows.get("wake"), Some(&4));
    assert_eq!(found.flow_sources.get("marker"), None);
    assert_eq!(found.slices.get("idle"), Some(&1));
    assert_eq!(found.lifetimes, 3);
    assert_eq!(found.instants, 1);
    // The parked interval as an idle slice on the worker.
    let idle: Vec<_> = events(&json)
        .iter()
        .filter(|e| e["cat"] == "idle")
        .collect();
    assert_eq!(
        (
            ns(&idle[0]["ts"]),
            ns(&idle[0]["dur"]),
            idle[0]["tid"].as_u64()
        ),
        (10_000, 4_000, Some(2))
    );
    // Nanosecond timestamps survive as microsecond decimals.
    let text = String::from_utf8({
        let mut out = Vec::new();
        write_chrome_json(&trace, &mut out).unwrap();
        out
    })
    .unwrap();
    assert!(text.contains("\"ts\":20.500"), "{text}");
    // The unnamed goroutine's slices are named by its spawn site.
    let site = trace.goroutines[&3].site();
    let short = site.rsplit('/').next().unwrap();
    assert!(events(&json)
        .iter()
        .any(|e| e["cat"] == "poll" && e["name"] == format!("{short} #3")));
}

#[test]
fn flows_from_outside_polls_start_at_markers() {
    let mut b = Builder::default();
    b.thread(1, "main", ThreadKind::Main);
    b.thread(2, "goro-worker-0", ThreadKind::Worker);
    b.thread(3, "signal", ThreadKind::Other);
    b.goroutine(1, Some("main"), None);
    b.goroutine(2, Some("sleeper"), Some(1));
    b.poll(1, 1, 0, 900, false);
    b.spawn(1, 500, 2, Some(1));
    b.poll(2, 2, 1_000, 2_000, false);
    b.push(Event::Park { ts: 2_500, tid: 2 });
    // A timer fires on the parked worker.
    b.wake(2, 5_000, 2, None);
    b.push(Event::Unpark { ts: 6_000, tid: 2 });
    b.poll(2, 2, 7_000, 8_000, false);
    // A thread outside the runtime wakes it.
    b.wake(3, 9_000, 2, None);
    b.poll(2, 2, 10_000, 11_000, false);
    // A wake whose poll never came: no flow for it.
    b.wake(3, 12_000, 2, None);
    // A goroutine that is never polled: no spawn flow.
    b.goroutine(3, None, Some(1));
    b.spawn(1, 800, 3, Some(1));
    let trace = b.finish(13_000);
    let json = chrome(&trace);
    let found = check_chrome(&json, &trace);
    assert_eq!(found.flows.get("wake"), Some(&2));
    assert_eq!(found.flows.get("spawn"), Some(&1));
    assert_eq!(found.flow_sources.get("marker"), Some(&2));
    let markers: Vec<(u64, u64)> = events(&json)
        .iter()
        .filter(|e| e["cat"] == "marker")
        .map(|e| (e["tid"].as_u64().unwrap(), ns(&e["ts"])))
        .collect();
    assert_eq!(markers, [(2, 5_000), (3, 9_000)]);
    // The parked interval is split around the marker.
    let idle: Vec<(u64, u64)> = events(&json)
        .iter()
        .filter(|e| e["cat"] == "idle")
        .map(|e| (ns(&e["ts"]), ns(&e["ts"]) + ns(&e["dur"])))
        .collect();
    assert_eq!(idle, [(2_500, 5_000), (5_000, 6_000)]);
    let text = summary(&trace);
    // The last wake and the never-polled spawn leave two goroutines
    // runnable at the end; the polled wakes waited 2 µs and 1 µs.
    assert!(text.contains("runnable at the end: 2"), "{text}");
    assert_eq!(
        words_of(&text, "wake -> next poll")[4..8],
        ["n=2", "p50", "1.00", "µs"]
    );
}

#[test]
fn empty_trace_still_writes_complete_files() {
    let trace = Trace::default();
    let json = chrome(&trace);
    check_chrome(&json, &trace);
    assert_eq!(events(&json).len(), 1, "just the process name");
    let html = timeline(&trace);
    assert_eq!(html.matches("<svg").count(), 1);
    assert!(html.trim_end().ends_with("</html>"));
    let text = summary(&trace);
    assert!(text.contains("(no goroutines recorded)"));
    assert!(text.contains("none recorded"));
}

#[test]
fn sieve_trace_json_is_well_formed() {
    let (trace, sites) = sieve(200);
    assert!(trace.goroutines.len() > 200);
    let json = chrome(&trace);
    let found = check_chrome(&json, &trace);
    println!("{found:?}");
    let spawns = found.flows["spawn"];
    assert!(spawns >= 200, "{found:?}");
    assert!(found.flows["wake"] > 1000, "{found:?}");
    assert_eq!(found.flows["blocking"], 5);
    // Timer wakes on parked workers and the signal thread's wake.
    assert!(found.flow_sources["marker"] >= 2, "{found:?}");
    assert!(found.slices["idle"] > 0);
    assert_eq!(found.instants, 1);
    assert_eq!(found.lifetimes, trace.goroutines.len());
    let filter = goro_trace::event::site(sites.filter);
    let filters = events(&json)
        .iter()
        .filter(|e| e["ph"] == "X" && e["args"]["spawned_at"] == filter.as_str())
        .count();
    assert!(filters > 1000);
}

#[test]
fn sieve_summary_groups_by_site() {
    let (trace, sites) = sieve(200);
    let text = summary(&trace);
    let filter = goro_trace::event::site(sites.filter);
    let row = words_of(&text, &filter);
    assert_eq!(row[0], "200", "{text}");
    for site in [sites.main, sites.generate, sites.ticker] {
        assert_eq!(words_of(&text, &goro_trace::event::site(site))[0], "1");
    }
    // The filters are the busiest.
    let first_row = text
        .lines()
        .skip_while(|l| !l.contains("count"))
        .nth(1)
        .unwrap();
    assert!(first_row.ends_with(&format!("{filter} (filter)")), "{text}");
    assert!(text.contains("Watchdog: 1 blocked-worker reports"));
    let longest = text
        .lines()
        .skip_while(|l| !l.starts_with("Longest polls"))
        .nth(1)
        .unwrap();
    assert!(
        longest.contains("3.00 ms") && longest.contains("filter #"),
        "{longest}"
    );
}

/// `s` as HTML text.
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c if c.is_control() && c != '\n' => "\u{fffd}".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Lanes and legend entries of a timeline, by their text.
fn check_timeline(html: &str, trace: &Trace) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_eq!(html.matches("<svg").count(), 1);
    assert_eq!(html.matches("</svg>").count(), 1);
    for banned in [
        "http://",
        "https://",
        "<script",
        "<link",
        "@import",
        "src=",
        "@font-face",
    ] {
        assert!(
            !html.contains(banned),
            "the page must not contain {banned:?}"
        );
    }
    for t in &trace.threads {
        assert!(
            html.contains(&format!(">{}</text>", t.name))
                || html.contains(&format!(">{} (", t.name)),
            "lane for {}",
            t.name
        );
    }
    for g in trace.goroutines.values() {
        let entry = match &g.name {
            Some(name) => escape(&format!("{} ({name}", g.site())),
            None => g.site(),
        };
        assert!(html.contains(&entry), "legend entry {entry}");
    }
}

#[test]
fn timeline_has_lanes_legend_and_no_network() {
    let trace = small();
    let html = timeline(&trace);
    check_timeline(&html, &trace);
    assert!(html.contains("<title>a #2 — spawned at"));
    assert!(html.contains("url(#parked)"));

    let (trace, _) = sieve(200);
    let html = timeline(&trace);
    check_timeline(&html, &trace);
    assert!(html.contains("200 goroutines"));
    assert!(html.contains("watchdog: filter #"));
}

#[test]
fn timeline_stays_small_for_a_million_polls() {
    let mut b = Builder::default();
    b.thread(1, "main", ThreadKind::Main);
    for w in 0..4 {
        b.thread(2 + w, &format!("goro-worker-{w}"), ThreadKind::Worker);
    }
    for g in 1..=1000 {
        b.goroutine(g, None, None);
    }
    let polls = 1_000_000u64;
    for i in 0..polls {
        let tid = 2 + (i % 4) as u32;
        let start = (i / 4) * 1_000;
        b.poll(tid, 1 + i % 1000, start, start + 700, false);
    }
    let trace = b.finish(polls / 4 * 1_000);
    let html = timeline(&trace);
    let elements = html.matches('<').count();
    println!("{} polls: {elements} tags, {} bytes", polls, html.len());
    assert!(elements < 100_000, "{elements} tags");
    assert!(html.len() < 8 << 20, "{} bytes", html.len());
    assert!(html.contains("polls at +"), "narrow polls are merged");
}

#[test]
fn write_files_writes_three_complete_files() {
    let (trace, _) = sieve(60);
    let dir = std::env::temp_dir().join(format!("goro-trace-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let files = write_files(&trace, &dir.join("nested")).unwrap();
    assert_eq!(files.trace_json, dir.join("nested/trace.json"));
    let json: Value = serde_json::from_slice(&std::fs::read(&files.trace_json).unwrap()).unwrap();
    check_chrome(&json, &trace);
    check_timeline(
        &std::fs::read_to_string(&files.timeline_html).unwrap(),
        &trace,
    );
    assert!(std::fs::read_to_string(&files.summary_txt)
        .unwrap()
        .starts_with("goro trace summary"));
    let names: Vec<String> = std::fs::read_dir(dir.join("nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "no temporary files left: {names:?}");
    // Writing again replaces the files.
    write_files(&trace, &dir.join("nested")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `GORO_TRACE_EXPORT_DEMO=dir cargo test -p goro-trace --test export demo`
/// writes the sieve's three files into `dir`, and the small trace's into
/// `dir/small`, to look at (`render-timeline.sh` makes a PNG).
#[test]
fn demo() {
    let Some(dir) = std::env::var_os("GORO_TRACE_EXPORT_DEMO") else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    let (trace, _) = sieve(200);
    println!("{:?}", write_files(&trace, dir).unwrap());
    println!("{:?}", write_files(&small(), &dir.join("small")).unwrap());
    println!(
        "{:?}",
        write_files(&crowded(), &dir.join("crowded")).unwrap()
    );
}

#[test]
fn overlapping_input_polls_are_clipped() {
    // Polls on one thread never overlap by contract; if a recording breaks
    // that, the JSON still must not.
    let mut b = Builder::default();
    b.thread(1, "goro-worker-0", ThreadKind::Worker);
    b.goroutine(1, None, None);
    b.goroutine(2, None, None);
    b.poll(1, 1, 1_000, 3_000, false);
    b.poll(1, 2, 2_500, 4_000, false);
    b.wake(1, 3_500, 1, Some(2));
    b.poll(1, 1, 5_000, 6_000, true);
    let trace = b.finish(7_000);
    let json = chrome(&trace);
    check_chrome(&json, &trace);
    let polls: Vec<(u64, u64)> = events(&json)
        .iter()
        .filter(|e| e["cat"] == "poll")
        .map(|e| (ns(&e["ts"]), ns(&e["dur"])))
        .collect();
    assert_eq!(polls, [(1_000, 2_000), (3_000, 1_000), (5_000, 1_000)]);
}

/// Forty blocking threads, thirty goroutines (a third without identity),
/// blocking calls without a goroutine, and names that need escaping.
fn crowded() -> Trace {
    let mut b = Builder::default();
    b.thread(1, "main", ThreadKind::Main);
    b.thread(2, "goro-worker-0", ThreadKind::Worker);
    for i in 0..40 {
        b.thread(10 + i, &format!("goro-blocking-{i}"), ThreadKind::Blocking);
    }
    b.goroutine(1, Some("main <&> \"quoted\"\n\u{1}"), None);
    let mut t = 0;
    for site in 0..30u64 {
        let id = 2 + site;
        // Two registered sites and, for a third of them, no identity at
        // all (the "(unknown)" site).
        match site % 3 {
            0 => b.goroutine(id, Some("even"), Some(1)),
            1 => b.goroutine(id, Some("odd"), Some(1)),
            _ => id,
        };
        b.spawn(1, t, id, Some(1));
        for k in 0..20 {
            b.poll(2, id, t + 100 + k * 300, t + 300 + k * 300, k == 19);
        }
        b.push(Event::BlockingSubmit {
            ts: t + 50,
            tid: 1,
            job: site,
            by: Some(1),
        });
        b.push(Event::BlockingRun {
            start: t + 200,
            end: t + 5_000,
            tid: 10 + (site as u32 % 40),
            job: site,
            goroutine: None,
        });
        t += 6_100;
    }
    b.poll(1, 1, t, t + 1_000, true);
    b.finish(t + 2_000)
}

#[test]
fn names_are_escaped_and_crowds_fit() {
    let trace = crowded();
    let json = chrome(&trace);
    check_chrome(&json, &trace);
    let main = events(&json)
        .iter()
        .find(|e| e["cat"] == "poll" && e["args"]["goroutine"] == 1)
        .unwrap();
    assert_eq!(main["args"]["name"], "main <&> \"quoted\"\n\u{1}");
    let html = timeline(&trace);
    check_timeline(&html, &trace);
    assert!(!html.contains("main <&>"));
    assert!(html.contains("main &lt;&amp;&gt; &quot;quoted&quot;"));
    assert!(!html.contains('\u{1}'));
    let text = summary(&trace);
    assert!(
        text.contains("(unknown)"),
        "goroutines without identity are grouped"
    );
    assert_eq!(words_of(&text, "(odd)")[0], "10");
}
