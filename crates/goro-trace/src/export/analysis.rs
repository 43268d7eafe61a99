//! One pass over a recording that the three exporters share: per-thread
//! slices and parked intervals, per-goroutine busy/scheduled/idle time,
//! per-site totals, wake and spawn latencies, and the causal flows (spawn,
//! wake and blocking hand-off to the slice that followed).
//!
//! Definitions (the summary prints them too):
//!
//! - A goroutine's *lifetime* runs from its spawn (or the first event that
//!   names it, if the spawn was not recorded) to its `End` (or the end of
//!   its last poll if that poll completed it, or the end of the recording).
//! - *Busy* is the sum of its poll durations.
//! - *Scheduled* is time it was runnable but not running: from its spawn to
//!   its first poll, and from a wake to the start of its next poll. A wake
//!   that arrives while the goroutine is being polled makes it runnable
//!   from that poll's end. A wake while it is already runnable changes
//!   nothing (it is counted as redundant).
//! - *Blocking* is time the blocking pool ran a call as the goroutine.
//! - *Idle* is the rest of the lifetime: waiting on channels, timers, IO.

use std::collections::HashMap;
use std::sync::Arc;

use crate::event::{Event, Gid, Nanos, Outcome, ThreadKind, Tid, Trace};

/// Everything the exporters draw from, computed once per recording.
pub(crate) struct Analysis {
    /// The end of the recorded span: `Trace::end`, or later if an event
    /// reaches past it.
    pub(crate) end: Nanos,
    /// Threads in display order: main, workers, blocking, other; by tid
    /// within a kind.
    pub(crate) threads: Vec<Thread>,
    /// Goroutines by id.
    pub(crate) goroutines: Vec<Goroutine>,
    /// Spawn sites, busiest first.
    pub(crate) sites: Vec<Site>,
    /// Spawn, wake and blocking flows whose target slice was recorded.
    pub(crate) flows: Vec<Flow>,
    /// Wake to start of the next poll, for every wake that made a goroutine
    /// runnable and was followed by a poll; sorted.
    pub(crate) wake_latency: Vec<Nanos>,
    /// Spawn to first poll (or first blocking run), sorted.
    pub(crate) spawn_latency: Vec<Nanos>,
    /// Watchdog reports, in time order.
    pub(crate) blocked: Vec<Blocked>,
    /// Wakes of a goroutine that was already runnable.
    pub(crate) redundant_wakes: u64,
    /// Wakes of a goroutine that had already ended.
    pub(crate) late_wakes: u64,
    /// Goroutines still runnable (woken or spawned, not yet polled) when
    /// the recording ended.
    pub(crate) runnable_at_end: u64,
    /// Polls in the recording.
    pub(crate) polls: u64,
    /// `Trace::dropped`.
    pub(crate) dropped: u64,
}

/// A thread and what happened on it.
pub(crate) struct Thread {
    pub(crate) tid: Tid,
    pub(crate) name: String,
    pub(crate) kind: ThreadKind,
    /// Its number among the threads of its kind (worker 0, worker 1, ...).
    pub(crate) kind_index: usize,
    /// Polls and blocking runs, by start, never overlapping (a slice that
    /// would overlap the one before it is clipped to start at its end).
    pub(crate) slices: Vec<Slice>,
    /// Park to unpark intervals, by start.
    pub(crate) parked: Vec<(Nanos, Nanos)>,
    /// Sum of poll durations.
    pub(crate) busy: Nanos,
    /// Sum of blocking-run durations.
    pub(crate) blocking: Nanos,
    /// Sum of parked intervals.
    pub(crate) parked_total: Nanos,
    /// Number of polls.
    pub(crate) polls: u64,
    park_open: Option<Nanos>,
}

impl Thread {
    /// `worker 0`, `blocking 3`, `main`, `other`.
    pub(crate) fn kind_label(&self) -> String {
        match self.kind {
            ThreadKind::Main => "main".to_string(),
            ThreadKind::Worker => format!("worker {}", self.kind_index),
            ThreadKind::Blocking => format!("blocking {}", self.kind_index),
            ThreadKind::Other => "other".to_string(),
        }
    }

    /// The thread's name plus kind: `goro-worker (worker 2)`.
    pub(crate) fn label(&self) -> String {
        format!("{} ({})", self.name, self.kind_label())
    }
}

/// A poll or a blocking run on a thread.
#[derive(Clone, Copy)]
pub(crate) struct Slice {
    pub(crate) start: Nanos,
    pub(crate) end: Nanos,
    pub(crate) what: SliceKind,
}

/// What a [`Slice`] is.
#[derive(Clone, Copy)]
pub(crate) enum SliceKind {
    /// A poll of goroutine `goroutine` (an index into
    /// `Analysis::goroutines`).
    Poll { goroutine: usize, ready: bool },
    /// A blocking call, run as `goroutine` if known.
    Blocking { job: u64, goroutine: Option<usize> },
}

impl SliceKind {
    /// The goroutine the slice runs as.
    pub(crate) fn goroutine(self) -> Option<usize> {
        match self {
            SliceKind::Poll { goroutine, .. } => Some(goroutine),
            SliceKind::Blocking { goroutine, .. } => goroutine,
        }
    }
}

/// A goroutine and its totals.
pub(crate) struct Goroutine {
    pub(crate) id: Gid,
    pub(crate) name: Option<Arc<str>>,
    /// `name #id` or `#id`.
    pub(crate) label: String,
    /// An index into `Analysis::sites`.
    pub(crate) site: usize,
    pub(crate) parent: Option<Gid>,
    /// The start of its lifetime.
    pub(crate) start: Nanos,
    /// The end of its lifetime.
    pub(crate) end: Nanos,
    /// The thread its lifetime starts on (the spawner's, or the first
    /// thread that mentions it).
    pub(crate) start_tid: Tid,
    /// How it ended, if its end was recorded.
    pub(crate) outcome: Option<Outcome>,
    /// What it was doing when the recording ended, if it had not ended:
    /// `runnable` (woken or spawned, not polled since) or `waiting`.
    pub(crate) at_end: Option<&'static str>,
    pub(crate) busy: Nanos,
    pub(crate) scheduled: Nanos,
    pub(crate) blocking: Nanos,
    pub(crate) polls: u64,
    seen: bool,
    spawned: bool,
    ended_at: Option<Nanos>,
    completed_at: Option<Nanos>,
    last_poll_end: Option<Nanos>,
    runnable: Option<Runnable>,
}

impl Goroutine {
    /// Lifetime less busy, scheduled and blocking time.
    pub(crate) fn idle(&self) -> Nanos {
        (self.end - self.start)
            .saturating_sub(self.busy)
            .saturating_sub(self.scheduled)
            .saturating_sub(self.blocking)
    }
}

/// Why a goroutine became runnable.
#[derive(Clone, Copy)]
struct Runnable {
    since: Nanos,
    kind: FlowKind,
    from_tid: Tid,
    from_ts: Nanos,
}

/// Goroutines grouped by spawn location.
pub(crate) struct Site {
    /// `file:line`, or `(unknown)` for goroutines whose identity was not
    /// recorded.
    pub(crate) site: String,
    pub(crate) goroutines: u64,
    pub(crate) busy: Nanos,
    pub(crate) scheduled: Nanos,
    pub(crate) blocking: Nanos,
    pub(crate) idle: Nanos,
    pub(crate) polls: u64,
    /// The names its goroutines were given, the first few distinct ones.
    pub(crate) names: Vec<Arc<str>>,
    /// Whether there were more distinct names than `names` holds.
    pub(crate) more_names: bool,
}

impl Site {
    /// The names its goroutines go by: `filter`, `a, b, c, …`; empty if
    /// none was named.
    pub(crate) fn names(&self) -> String {
        let mut names = self.names.join(", ");
        if self.more_names {
            names.push_str(", …");
        }
        names
    }

    /// `file:line`, then ` (names)` if its goroutines have names.
    pub(crate) fn described(&self) -> String {
        match self.names() {
            names if names.is_empty() => self.site.clone(),
            names => format!("{} ({names})", self.site),
        }
    }
}

/// Distinct goroutine names listed per site.
const SITE_NAMES: usize = 3;

/// What a flow arrow stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FlowKind {
    /// Spawn to the first poll.
    Spawn,
    /// Wake to the next poll.
    Wake,
    /// Blocking submit to the blocking run.
    Blocking,
}

impl FlowKind {
    /// `spawn`, `wake`, `blocking`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            FlowKind::Spawn => "spawn",
            FlowKind::Wake => "wake",
            FlowKind::Blocking => "blocking",
        }
    }
}

/// A causal arrow from a point on one thread to a slice.
pub(crate) struct Flow {
    pub(crate) kind: FlowKind,
    pub(crate) from_tid: Tid,
    pub(crate) from_ts: Nanos,
    /// Index into `Analysis::threads`.
    pub(crate) to_thread: usize,
    /// Index into that thread's `slices`.
    pub(crate) to_slice: usize,
}

/// A watchdog report.
pub(crate) struct Blocked {
    pub(crate) ts: Nanos,
    pub(crate) tid: Tid,
    pub(crate) goroutine: usize,
    pub(crate) blocked_for: Nanos,
}

/// Site key of goroutines whose identity was not recorded.
const UNKNOWN_SITE: &str = "(unknown)";

struct Builder<'t> {
    trace: &'t Trace,
    threads: Vec<Thread>,
    thread_index: HashMap<Tid, usize>,
    goroutines: Vec<Goroutine>,
    goroutine_index: HashMap<Gid, usize>,
    site_names: Vec<String>,
    site_index: HashMap<String, usize>,
    flows: Vec<Flow>,
    wake_latency: Vec<Nanos>,
    spawn_latency: Vec<Nanos>,
    blocked: Vec<Blocked>,
    submits: HashMap<u64, (Tid, Nanos)>,
    redundant_wakes: u64,
    late_wakes: u64,
    polls: u64,
}

impl<'t> Builder<'t> {
    fn thread(&mut self, tid: Tid) -> usize {
        if let Some(&i) = self.thread_index.get(&tid) {
            return i;
        }
        // A thread missing from `Trace::threads`: show it as an unnamed
        // other thread rather than lose its events.
        self.threads
            .push(Thread::new(tid, format!("thread {tid}"), ThreadKind::Other));
        self.thread_index.insert(tid, self.threads.len() - 1);
        self.threads.len() - 1
    }

    fn site(&mut self, site: String) -> usize {
        if let Some(&i) = self.site_index.get(&site) {
            return i;
        }
        self.site_names.push(site.clone());
        self.site_index.insert(site, self.site_names.len() - 1);
        self.site_names.len() - 1
    }

    fn add_goroutine(&mut self, id: Gid) -> usize {
        let (name, site, parent) = match self.trace.goroutines.get(&id) {
            Some(info) => (info.name.clone(), info.site(), info.parent),
            None => (None, UNKNOWN_SITE.to_string(), None),
        };
        let label = crate::event::label(name.as_deref(), id);
        let site = self.site(site);
        self.goroutines.push(Goroutine {
            id,
            name,
            label,
            site,
            parent,
            start: 0,
            end: 0,
            start_tid: 0,
            outcome: None,
            at_end: None,
            busy: 0,
            scheduled: 0,
            blocking: 0,
            polls: 0,
            seen: false,
            spawned: false,
            ended_at: None,
            completed_at: None,
            last_poll_end: None,
            runnable: None,
        });
        self.goroutine_index.insert(id, self.goroutines.len() - 1);
        self.goroutines.len() - 1
    }

    /// The goroutine's index, marking it seen at `ts` on `tid`.
    fn goroutine(&mut self, id: Gid, ts: Nanos, tid: Tid) -> usize {
        let i = match self.goroutine_index.get(&id) {
            Some(&i) => i,
            None => self.add_goroutine(id),
        };
        let g = &mut self.goroutines[i];
        if !g.seen {
            g.seen = true;
            g.start = ts;
            g.start_tid = tid;
        }
        i
    }

    /// Adds a slice to thread `t`, clipped so that it does not overlap the
    /// one before it; returns its index.
    fn push_slice(&mut self, t: usize, start: Nanos, end: Nanos, what: SliceKind) -> usize {
        let slices = &mut self.threads[t].slices;
        let floor = slices.last().map_or(0, |s| s.end);
        let start = start.max(floor);
        let end = end.max(start);
        slices.push(Slice { start, end, what });
        slices.len() - 1
    }

    /// Goroutine `g` starts running in slice `slice` of thread `t`: ends
    /// its runnable time, if any.
    fn run(&mut self, g: usize, t: usize, slice: usize) {
        let start = self.threads[t].slices[slice].start;
        let Some(r) = self.goroutines[g].runnable.take() else {
            return;
        };
        let wait = start.saturating_sub(r.since);
        self.goroutines[g].scheduled += wait;
        match r.kind {
            FlowKind::Spawn => self.spawn_latency.push(wait),
            _ => self.wake_latency.push(wait),
        }
        self.flows.push(Flow {
            kind: r.kind,
            from_tid: r.from_tid,
            from_ts: r.from_ts,
            to_thread: t,
            to_slice: slice,
        });
    }

    fn event(&mut self, event: &Event) {
        match *event {
            Event::Spawn {
                ts, tid, goroutine, ..
            } => {
                self.thread(tid);
                let g = self.goroutine(goroutine, ts, tid);
                let g = &mut self.goroutines[g];
                g.spawned = true;
                if g.polls == 0 && g.runnable.is_none() && g.ended_at.is_none() {
                    g.runnable = Some(Runnable {
                        since: ts,
                        kind: FlowKind::Spawn,
                        from_tid: tid,
                        from_ts: ts,
                    });
                }
            }
            Event::Poll {
                start,
                end,
                tid,
                goroutine,
                ready,
            } => {
                let t = self.thread(tid);
                let g = self.goroutine(goroutine, start, tid);
                let i = self.push_slice(
                    t,
                    start,
                    end,
                    SliceKind::Poll {
                        goroutine: g,
                        ready,
                    },
                );
                let slice = self.threads[t].slices[i];
                let dur = slice.end - slice.start;
                self.run(g, t, i);
                let thread = &mut self.threads[t];
                thread.busy += dur;
                thread.polls += 1;
                let g = &mut self.goroutines[g];
                g.busy += dur;
                g.polls += 1;
                g.last_poll_end = Some(slice.end);
                if ready {
                    g.completed_at = Some(slice.end);
                }
                self.polls += 1;
            }
            Event::Wake {
                ts, tid, target, ..
            } => {
                self.thread(tid);
                let g = self.goroutine(target, ts, tid);
                let g = &mut self.goroutines[g];
                if g.ended_at.is_some() || g.completed_at.is_some() {
                    self.late_wakes += 1;
                } else if g.runnable.is_some() {
                    self.redundant_wakes += 1;
                } else {
                    // Woken during its own poll: runnable once that poll
                    // returns.
                    let since = ts.max(g.last_poll_end.unwrap_or(0));
                    g.runnable = Some(Runnable {
                        since,
                        kind: FlowKind::Wake,
                        from_tid: tid,
                        from_ts: ts,
                    });
                }
            }
            Event::BlockingSubmit { ts, tid, job, .. } => {
                self.thread(tid);
                self.submits.insert(job, (tid, ts));
            }
            Event::BlockingRun {
                start,
                end,
                tid,
                job,
                goroutine,
            } => {
                let t = self.thread(tid);
                let g = goroutine.map(|g| self.goroutine(g, start, tid));
                let i = self.push_slice(t, start, end, SliceKind::Blocking { job, goroutine: g });
                let slice = self.threads[t].slices[i];
                let dur = slice.end - slice.start;
                self.threads[t].blocking += dur;
                if let Some(g) = g {
                    self.goroutines[g].blocking += dur;
                    // A goroutine started by `spawn_blocking` runs here
                    // rather than in a poll: its spawn ends here.
                    let never_polled = self.goroutines[g].polls == 0;
                    let spawned = matches!(
                        self.goroutines[g].runnable,
                        Some(Runnable {
                            kind: FlowKind::Spawn,
                            ..
                        })
                    );
                    if never_polled && spawned {
                        self.run(g, t, i);
                    }
                }
                if let Some((from_tid, from_ts)) = self.submits.remove(&job) {
                    self.flows.push(Flow {
                        kind: FlowKind::Blocking,
                        from_tid,
                        from_ts,
                        to_thread: t,
                        to_slice: i,
                    });
                }
            }
            Event::Park { ts, tid } => {
                let t = self.thread(tid);
                let thread = &mut self.threads[t];
                if thread.park_open.is_none() {
                    thread.park_open = Some(ts);
                }
            }
            Event::Unpark { ts, tid } => {
                let t = self.thread(tid);
                let thread = &mut self.threads[t];
                // An unpark without its park (dropped, or parked before the
                // recording started): parked since the thread's last slice.
                let since = match thread.park_open.take() {
                    Some(since) => since,
                    None => thread.slices.last().map_or(0, |s| s.end),
                };
                thread.close_park(since, ts);
            }
            Event::End {
                ts,
                tid,
                goroutine,
                outcome,
            } => {
                self.thread(tid);
                let g = self.goroutine(goroutine, ts, tid);
                let g = &mut self.goroutines[g];
                g.ended_at = Some(ts);
                g.outcome = Some(outcome);
                // Ended (cancelled) while runnable: it waited until now.
                if let Some(r) = g.runnable.take() {
                    g.scheduled += ts.saturating_sub(r.since);
                }
            }
            Event::Blocked {
                ts,
                tid,
                goroutine,
                blocked_for,
            } => {
                self.thread(tid);
                let g = self.goroutine(goroutine, ts, tid);
                self.blocked.push(Blocked {
                    ts,
                    tid,
                    goroutine: g,
                    blocked_for,
                });
            }
        }
    }
}

impl Thread {
    fn new(tid: Tid, name: String, kind: ThreadKind) -> Thread {
        Thread {
            tid,
            name,
            kind,
            kind_index: 0,
            slices: Vec::new(),
            parked: Vec::new(),
            busy: 0,
            blocking: 0,
            parked_total: 0,
            polls: 0,
            park_open: None,
        }
    }

    fn close_park(&mut self, since: Nanos, until: Nanos) {
        let since = since.max(self.parked.last().map_or(0, |p| p.1));
        if until > since {
            self.parked.push((since, until));
            self.parked_total += until - since;
        }
    }
}

fn slice_end(event: &Event) -> Nanos {
    match *event {
        Event::Poll { end, .. } | Event::BlockingRun { end, .. } => end,
        ref other => other.ts(),
    }
}

/// Nearest-rank percentile `p` (in percent) of sorted `values`.
pub(crate) fn percentile(values: &[Nanos], p: u64) -> Option<Nanos> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as u64;
    let rank = (p * n).div_ceil(100).max(1);
    Some(values[(rank - 1) as usize])
}

impl Analysis {
    /// Analyses `trace`.
    pub(crate) fn new(trace: &Trace) -> Analysis {
        let mut b = Builder {
            trace,
            threads: Vec::new(),
            thread_index: HashMap::new(),
            goroutines: Vec::new(),
            goroutine_index: HashMap::new(),
            site_names: Vec::new(),
            site_index: HashMap::new(),
            flows: Vec::new(),
            wake_latency: Vec::new(),
            spawn_latency: Vec::new(),
            blocked: Vec::new(),
            submits: HashMap::new(),
            redundant_wakes: 0,
            late_wakes: 0,
            polls: 0,
        };
        for info in &trace.threads {
            if !b.thread_index.contains_key(&info.tid) {
                b.threads
                    .push(Thread::new(info.tid, info.name.clone(), info.kind));
                b.thread_index.insert(info.tid, b.threads.len() - 1);
            }
        }
        for &id in trace.goroutines.keys() {
            b.add_goroutine(id);
        }

        // The recorder sorts events; a stable sort by time keeps its order
        // for equal times and costs one pass when they are sorted already.
        let mut events: Vec<&Event> = trace.events.iter().collect();
        events.sort_by_key(|e| e.ts());
        let mut end = trace.end;
        for event in events {
            end = end.max(slice_end(event));
            b.event(event);
        }

        // Close what the recording left open.
        for thread in &mut b.threads {
            if let Some(since) = thread.park_open.take() {
                thread.close_park(since, end);
            }
        }
        let mut runnable_at_end = 0;
        for g in &mut b.goroutines {
            let open = g.seen && g.ended_at.is_none() && g.completed_at.is_none();
            if let Some(r) = g.runnable.take() {
                g.scheduled += end.saturating_sub(r.since);
                runnable_at_end += 1;
                g.at_end = open.then_some("runnable");
            } else if open {
                g.at_end = Some("waiting");
            }
            let last = g.last_poll_end.unwrap_or(g.start);
            g.end = match (g.ended_at, g.completed_at) {
                (Some(ended), _) => ended.max(last),
                (None, Some(completed)) => completed,
                (None, None) if g.seen => end,
                (None, None) => g.start,
            };
            g.end = g.end.max(g.start);
        }

        // Display order, and each thread's number within its kind.
        b.threads.sort_by_key(|t| (t.kind, t.tid));
        let old_index = std::mem::take(&mut b.thread_index);
        let mut remap = vec![0; b.threads.len()];
        let mut per_kind: HashMap<ThreadKind, usize> = HashMap::new();
        for (new, thread) in b.threads.iter_mut().enumerate() {
            remap[old_index[&thread.tid]] = new;
            let n = per_kind.entry(thread.kind).or_default();
            thread.kind_index = *n;
            *n += 1;
        }
        for flow in &mut b.flows {
            flow.to_thread = remap[flow.to_thread];
        }

        // Sites, busiest first.
        let mut sites: Vec<Site> = b
            .site_names
            .iter()
            .map(|site| Site {
                site: site.clone(),
                goroutines: 0,
                busy: 0,
                scheduled: 0,
                blocking: 0,
                idle: 0,
                polls: 0,
                names: Vec::new(),
                more_names: false,
            })
            .collect();
        for g in &b.goroutines {
            let s = &mut sites[g.site];
            s.goroutines += 1;
            s.busy += g.busy;
            s.scheduled += g.scheduled;
            s.blocking += g.blocking;
            s.idle += g.idle();
            s.polls += g.polls;
            if let Some(name) = &g.name {
                if !s.names.contains(name) {
                    if s.names.len() < SITE_NAMES {
                        s.names.push(name.clone());
                    } else {
                        s.more_names = true;
                    }
                }
            }
        }
        let mut order: Vec<usize> = (0..sites.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&sites[a], &sites[b]);
            b.busy
                .cmp(&a.busy)
                .then(b.goroutines.cmp(&a.goroutines))
                .then_with(|| a.site.cmp(&b.site))
        });
        let mut site_remap = vec![0; sites.len()];
        for (new, &old) in order.iter().enumerate() {
            site_remap[old] = new;
        }
        let mut slots: Vec<Option<Site>> = sites.into_iter().map(Some).collect();
        let sites: Vec<Site> = order
            .iter()
            .map(|&old| slots[old].take().unwrap())
            .collect();
        for g in &mut b.goroutines {
            g.site = site_remap[g.site];
        }

        b.wake_latency.sort_unstable();
        b.spawn_latency.sort_unstable();
        Analysis {
            end,
            threads: b.threads,
            goroutines: b.goroutines,
            sites,
            flows: b.flows,
            wake_latency: b.wake_latency,
            spawn_latency: b.spawn_latency,
            blocked: b.blocked,
            redundant_wakes: b.redundant_wakes,
            late_wakes: b.late_wakes,
            runnable_at_end,
            polls: b.polls,
            dropped: trace.dropped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&v, 99), Some(10));
        assert_eq!(percentile(&v, 100), Some(10));
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }
}
