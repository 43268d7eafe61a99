//! Hand-built recordings for the exporter tests.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::panic::Location;
use std::sync::Arc;

use goro_trace::event::{Gid, Nanos, Tid};
use goro_trace::{Event, GoroutineInfo, Outcome, ThreadInfo, ThreadKind, Trace};

/// Builds a [`Trace`] by hand.
#[derive(Default)]
pub struct Builder {
    pub trace: Trace,
}

impl Builder {
    pub fn thread(&mut self, tid: Tid, name: &str, kind: ThreadKind) -> Tid {
        self.trace.threads.push(ThreadInfo {
            tid,
            name: name.to_string(),
            kind,
        });
        tid
    }

    /// Registers goroutine `id`, spawned at the caller's location.
    #[track_caller]
    pub fn goroutine(&mut self, id: Gid, name: Option<&str>, parent: Option<Gid>) -> Gid {
        let info = GoroutineInfo {
            id,
            name: name.map(Arc::from),
            spawned_at: Location::caller(),
            parent,
        };
        self.trace.goroutines.insert(id, info);
        id
    }

    pub fn push(&mut self, event: Event) {
        self.trace.events.push(event);
    }

    pub fn poll(&mut self, tid: Tid, goroutine: Gid, start: Nanos, end: Nanos, ready: bool) {
        self.push(Event::Poll {
            start,
            end,
            tid,
            goroutine,
            ready,
        });
    }

    pub fn spawn(&mut self, tid: Tid, ts: Nanos, goroutine: Gid, parent: Option<Gid>) {
        self.push(Event::Spawn {
            ts,
            tid,
            goroutine,
            parent,
        });
    }

    pub fn wake(&mut self, tid: Tid, ts: Nanos, target: Gid, by: Option<Gid>) {
        self.push(Event::Wake {
            ts,
            tid,
            target,
            by,
        });
    }

    pub fn end(&mut self, tid: Tid, ts: Nanos, goroutine: Gid, outcome: Outcome) {
        self.push(Event::End {
            ts,
            tid,
            goroutine,
            outcome,
        });
    }

    /// The trace, events sorted by time as the recorder delivers them.
    pub fn finish(mut self, end: Nanos) -> Trace {
        self.trace.events.sort_by_key(|e| e.ts());
        self.trace.end = end;
        self.trace
    }
}

/// The spawn sites of [`sieve`], for assertions.
pub struct SieveSites {
    pub main: &'static Location<'static>,
    pub generate: &'static Location<'static>,
    pub filter: &'static Location<'static>,
    pub ticker: &'static Location<'static>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Queued,
}

struct Worker {
    tid: Tid,
    clock: Nanos,
    parked: bool,
}

struct Goroutine {
    id: Gid,
    state: State,
    inbox: VecDeque<u32>,
    /// A goroutine blocked sending into this one's full inbox.
    sender: Option<usize>,
    prime: u32,
}

/// Channel capacity: senders block on a full inbox.
const CAP: usize = 6;

/// A daisy-chain prime sieve as goro would run it on a main thread and
/// two workers: main reads primes from the end of a chain of filter
/// goroutines and spawns a filter per prime; a generator feeds numbers in;
/// the generator pauses 1.5 ms (a timer) after every 100 numbers, and
/// the pipeline drains and the workers park; a ticker wakes from a timer
/// every 150 µs; every 40 primes main makes a
/// blocking call; a signal thread outside the runtime wakes main once; one
/// filter poll hogs its worker for 3 ms and the watchdog reports it.
///
/// A small scheduler simulation: deterministic, self-consistent (polls on
/// a thread never overlap, a goroutine is polled only after the wake that
/// made it runnable).
pub fn sieve(primes: usize) -> (Trace, SieveSites) {
    let mut b = Builder::default();
    let main_tid = b.thread(1, "main", ThreadKind::Main);
    let mut workers = [
        Worker {
            tid: b.thread(2, "goro-worker-0", ThreadKind::Worker),
            clock: 0,
            parked: false,
        },
        Worker {
            tid: b.thread(3, "goro-worker-1", ThreadKind::Worker),
            clock: 0,
            parked: false,
        },
    ];
    let blocking_tid = b.thread(4, "goro-blocking-0", ThreadKind::Blocking);
    let signal_tid = b.thread(5, "signal-handler", ThreadKind::Other);

    let main = b.goroutine(1, Some("main"), None);
    let sites_main = b.trace.goroutines[&main].spawned_at;
    // gs[0] is main, gs[1] the generator, gs[2] the ticker, then filters.
    let mut gs: Vec<Goroutine> = Vec::new();
    let mut next_gid = 1;
    let mut new_goroutine = |gs: &mut Vec<Goroutine>, prime| {
        gs.push(Goroutine {
            id: next_gid,
            state: State::Waiting,
            inbox: VecDeque::new(),
            sender: None,
            prime,
        });
        next_gid += 1;
        gs.len() - 1
    };
    new_goroutine(&mut gs, 0);
    let gen = new_goroutine(&mut gs, 0);
    b.goroutine(gs[gen].id, Some("generate"), Some(main));
    let sites_generate = b.trace.goroutines[&gs[gen].id].spawned_at;
    let ticker = new_goroutine(&mut gs, 0);
    b.goroutine(gs[ticker].id, Some("ticker"), Some(main));
    let sites_ticker = b.trace.goroutines[&gs[ticker].id].spawned_at;
    let mut sites_filter = None;

    // chain[k]: the goroutine that reads what chain[k-1] writes; main reads
    // the last one's output.
    let mut chain: Vec<usize> = Vec::new();
    let mut next_value = 2u32;
    let mut queue: VecDeque<(usize, Nanos)> = VecDeque::new();
    let mut main_runnable;
    let mut main_ready: Nanos = 0;
    let mut main_clock: Nanos;
    let mut main_waiting_blocking = false;
    let mut main_signal_sent = false;
    // Pending timers: (due, goroutine).
    let mut timers: Vec<(Nanos, usize)> = Vec::new();
    let mut external: Vec<(Nanos, Tid, usize)> = Vec::new();
    let mut found = 0usize;
    let mut job = 0u64;
    let mut hogged = false;
    let mut shutdown: Option<Nanos> = None;

    // Wakes goroutine `g` at `ts` from thread `tid`; unparks a worker.
    macro_rules! wake {
        ($g:expr, $ts:expr, $tid:expr, $by:expr) => {{
            let (g, ts): (usize, Nanos) = ($g, $ts);
            if g == 0 {
                if !main_runnable && shutdown.is_none() {
                    b.wake($tid, ts, gs[0].id, $by);
                    main_runnable = true;
                    main_ready = ts;
                }
            } else if gs[g].state == State::Waiting {
                b.wake($tid, ts, gs[g].id, $by);
                gs[g].state = State::Queued;
                queue.push_back((g, ts));
                if let Some(w) = workers.iter_mut().find(|w| w.parked) {
                    w.parked = false;
                    b.push(Event::Unpark {
                        ts: ts + 3_000,
                        tid: w.tid,
                    });
                    w.clock = ts + 3_200;
                }
            }
        }};
    }

    // Main spawns the generator and the ticker first.
    b.poll(main_tid, main, 0, 6_000, false);
    b.spawn(main_tid, 2_000, gs[gen].id, Some(main));
    b.spawn(main_tid, 4_000, gs[ticker].id, Some(main));
    gs[gen].state = State::Queued;
    gs[ticker].state = State::Queued;
    queue.push_back((gen, 2_000));
    queue.push_back((ticker, 4_000));
    main_runnable = false;
    main_clock = 6_000;
    workers[0].clock = 2_500;
    workers[1].clock = 4_500;

    loop {
        // The next actor: main, a worker, a due timer with a parked
        // worker, or an external wake.
        let main_at = main_runnable.then(|| main_clock.max(main_ready));
        let worker_at = workers
            .iter()
            .enumerate()
            .filter(|(_, w)| !w.parked)
            .min_by_key(|(_, w)| w.clock)
            .map(|(i, w)| (i, w.clock));
        let next_timer = timers
            .iter()
            .copied()
            .enumerate()
            .min_by_key(|(_, (due, _))| *due);
        let timer_at = next_timer
            .map(|(_, (due, _))| due)
            .filter(|_| workers.iter().any(|w| w.parked));
        let external_at = external.iter().map(|e| e.0).min();
        let mut best = u64::MAX;
        for t in [main_at, worker_at.map(|w| w.1), timer_at, external_at]
            .into_iter()
            .flatten()
        {
            best = best.min(t);
        }
        if let Some(stop) = shutdown {
            if best > stop {
                break;
            }
        }
        assert!(best < 10_000_000_000, "the simulated sieve got stuck");

        if external_at == Some(best) {
            let i = external.iter().position(|e| e.0 == best).unwrap();
            let (ts, tid, g) = external.remove(i);
            if tid == blocking_tid {
                main_waiting_blocking = false;
            }
            wake!(g, ts, tid, None);
            continue;
        }
        if timer_at == Some(best) {
            // A parked worker wakes for the timer and fires it.
            let w = workers.iter_mut().find(|w| w.parked).unwrap();
            w.parked = false;
            b.push(Event::Unpark {
                ts: best,
                tid: w.tid,
            });
            w.clock = best + 800;
            let tid = w.tid;
            let (i, (_, g)) = next_timer.unwrap();
            timers.remove(i);
            wake!(g, best + 500, tid, None);
            continue;
        }
        if main_at == Some(best) {
            // Main reads one value from the end of the chain: a prime.
            let start = best;
            let mut t = start + 800;
            if !main_signal_sent && start > 400_000 {
                main_signal_sent = true;
                external.push((start + 50_000, signal_tid, 0));
            }
            let mut end_main = false;
            if !main_waiting_blocking {
                if let Some(&first) = gs[0].inbox.front() {
                    gs[0].inbox.pop_front();
                    found += 1;
                    // The rest of the old last channel feeds the new filter.
                    let rest: VecDeque<u32> = gs[0].inbox.drain(..).collect();
                    let sender = gs[0].sender.take();
                    let f = new_goroutine(&mut gs, first);
                    let id = gs[f].id;
                    b.goroutine(id, Some("filter"), Some(main));
                    sites_filter.get_or_insert(b.trace.goroutines[&id].spawned_at);
                    t += 1_200;
                    b.spawn(main_tid, t, id, Some(main));
                    gs[f].inbox = rest;
                    gs[f].sender = sender;
                    gs[f].state = State::Queued;
                    queue.push_back((f, t));
                    if let Some(w) = workers.iter_mut().find(|w| w.parked) {
                        w.parked = false;
                        b.push(Event::Unpark {
                            ts: t + 3_000,
                            tid: w.tid,
                        });
                        w.clock = t + 3_200;
                    }
                    chain.push(f);
                    if found % 40 == 0 {
                        job += 1;
                        t += 500;
                        b.push(Event::BlockingSubmit {
                            ts: t,
                            tid: main_tid,
                            job,
                            by: Some(main),
                        });
                        let run_start = t + 4_000;
                        let run_end = run_start + 60_000;
                        b.push(Event::BlockingRun {
                            start: run_start,
                            end: run_end,
                            tid: blocking_tid,
                            job,
                            goroutine: Some(main),
                        });
                        main_waiting_blocking = true;
                        external.push((run_end + 300, blocking_tid, 0));
                    }
                    if found == primes {
                        end_main = true;
                    }
                }
            }
            t += 700;
            b.poll(main_tid, main, start, t, end_main);
            main_runnable = false;
            main_clock = t;
            if end_main {
                b.end(main_tid, t, main, Outcome::Completed);
                shutdown = Some(t + 20_000);
            } else if !gs[0].inbox.is_empty() && !main_waiting_blocking {
                main_runnable = true;
                main_ready = t;
            }
            continue;
        }

        // A worker.
        let (wi, now) = worker_at.unwrap();
        let tid = workers[wi].tid;
        if let Some((i, (due, g))) = next_timer {
            if due <= now {
                timers.remove(i);
                workers[wi].clock = now + 300;
                wake!(g, now, tid, None);
                continue;
            }
        }
        let Some((g, ready)) = queue.pop_front() else {
            workers[wi].parked = true;
            b.push(Event::Park { ts: now, tid });
            continue;
        };
        let start = now.max(ready);
        let id = gs[g].id;
        let mut t = start + 1_000;
        let mut requeue = false;
        if g == ticker {
            t += 1_000;
            timers.push((t + 150_000, ticker));
        } else if g == gen {
            let first = chain.first().copied();
            let out = first.unwrap_or(0);
            let mut blocked = false;
            for _ in 0..4 {
                if gs[out].inbox.len() >= CAP {
                    gs[out].sender = Some(g);
                    blocked = true;
                    break;
                }
                gs[out].inbox.push_back(next_value);
                next_value += 1;
                t += 300;
                wake!(out, t, tid, Some(id));
                // Rate-limited: a pause after every 100 numbers.
                if next_value % 100 == 0 {
                    timers.push((t + 1_500_000, gen));
                    blocked = true;
                    break;
                }
            }
            requeue = !blocked;
        } else {
            // A filter: up to 8 values per poll.
            let k = chain.iter().position(|&c| c == g).unwrap();
            let out = chain.get(k + 1).copied().unwrap_or(0);
            let prime = gs[g].prime;
            let mut blocked = false;
            for _ in 0..8 {
                let Some(&v) = gs[g].inbox.front() else { break };
                t += 400;
                if v % prime != 0 {
                    if gs[out].inbox.len() >= CAP {
                        gs[out].sender = Some(g);
                        blocked = true;
                        break;
                    }
                    gs[out].inbox.push_back(v);
                    wake!(out, t, tid, Some(id));
                }
                gs[g].inbox.pop_front();
            }
            if prime == 97 && !hogged {
                hogged = true;
                t += 3_000_000;
                b.push(Event::Blocked {
                    ts: start + 2_000_000,
                    tid,
                    goroutine: id,
                    blocked_for: 2_000_000,
                });
            }
            if gs[g].inbox.len() < CAP {
                if let Some(sender) = gs[g].sender.take() {
                    t += 200;
                    wake!(sender, t, tid, Some(id));
                }
            }
            requeue = !blocked && !gs[g].inbox.is_empty();
        }
        t += 300;
        b.poll(tid, id, start, t, false);
        gs[g].state = State::Waiting;
        if requeue {
            // Woken during its own poll (it yields): runnable at the end.
            b.wake(tid, t - 100, id, Some(id));
            gs[g].state = State::Queued;
            queue.push_back((g, t));
        }
        workers[wi].clock = t;
    }

    // Shutdown: the rest are cancelled.
    let stop = shutdown.unwrap_or(main_clock);
    for g in gs.iter().skip(1) {
        b.end(main_tid, stop, g.id, Outcome::Cancelled);
    }
    let sites = SieveSites {
        main: sites_main,
        generate: sites_generate,
        filter: sites_filter.expect("a filter was spawned"),
        ticker: sites_ticker,
    };
    (b.finish(stop + 5_000), sites)
}
