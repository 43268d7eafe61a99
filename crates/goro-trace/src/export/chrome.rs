//! `trace.json`: the Chrome Trace Event Format, as Perfetto reads it.
//!
//! Layout: process 1 (`goro`); one thread track per recorded thread (tid =
//! the recorder's [`Tid`](crate::event::Tid)) with an `X` slice per poll,
//! blocking run and parked interval (`idle`); an async slice per goroutine
//! (`b`/`e`, category `goroutine`, id = goroutine id) spanning its
//! lifetime, named by the goroutine's name and spawn site without the id
//! so that Perfetto shows goroutines of a kind together; `s`/`f` flow arrows from spawn, wake and blocking submit to
//! the slice that followed; watchdog reports as process-scoped instants
//! (on the process track: on a thread track an instant inside a poll would
//! capture the flows that start later in that poll).
//!
//! Timestamps are microseconds, the format's unit, written with three
//! decimals so that nanoseconds survive. There is no `displayTimeUnit`:
//! older Perfetto read it as the unit of the timestamps.
//!
//! Perfetto binds a flow's `s` (and an `f` with `"bp":"e"`) to the slice
//! open on that thread's track when it reads the event. So every flow end
//! is placed strictly inside its slice where the slice is 2 ns or longer,
//! and events are written sorted by (time, slice order, class) so that a
//! slice always comes right before the flow ends bound to it, and a flow's
//! `f` is placed after its `s`. Where no poll
//! encloses the source of a flow (a timer fired on a parked worker, a
//! thread outside the runtime woke a goroutine), a zero-length `X` slice
//! named after the flow (`wake`, `spawn`, `blocking`) is added there for
//! the flow to start from; an `idle` slice is split around it.

use std::collections::HashMap;
use std::io::{self, Write};

use super::analysis::{Analysis, FlowKind, SliceKind, Thread};
use super::text::{write_json_str, write_micros};
use crate::event::{Nanos, ThreadKind, Tid};

/// The pid every event carries.
const PID: u32 = 1;

/// A slice as written on a thread track.
#[derive(Clone, Copy)]
struct OutSlice {
    start: Nanos,
    end: Nanos,
    kind: OutKind,
}

#[derive(Clone, Copy)]
enum OutKind {
    /// `Thread::slices[i]`.
    Solid(usize),
    /// A zero-length anchor for flows leaving a point no slice encloses.
    Marker(FlowKind),
    /// Parked.
    Idle,
}

/// One output event; sorted by `(ts, seq, class)` before writing: at equal
/// times a slice opens, then the flow ends bound to it, then the next slice
/// on its track.
#[derive(Clone, Copy)]
struct Rec {
    ts: Nanos,
    /// The order of the slice (or of the slice a flow end binds to); events
    /// that bind to no slice come after all slices.
    seq: u64,
    /// 0 for slices, 1 for flow starts, 2 for flow ends, 3 for the rest.
    class: u8,
    body: Body,
}

#[derive(Clone, Copy)]
enum Body {
    /// `tracks[track].slices[slice]`.
    Slice { track: usize, slice: usize },
    /// Flow `id` starts (`s`) or ends (`f`) on `track`.
    Flow {
        id: u64,
        kind: FlowKind,
        track: usize,
        start: bool,
    },
    /// Goroutine `goroutines[g]`'s lifetime begins or ends.
    Lifetime { goroutine: usize, begin: bool },
    /// `blocked[i]`.
    Blocked(usize),
}

/// A thread's track as written.
struct Track {
    slices: Vec<OutSlice>,
    /// The global order of `slices[0]`.
    first_seq: u64,
}

/// The index of the slice in `slices` (sorted by start, not overlapping)
/// that contains `ts` (ends included), if any.
fn enclosing<T>(slices: &[T], ts: Nanos, span: impl Fn(&T) -> (Nanos, Nanos)) -> Option<usize> {
    let after = slices.partition_point(|s| span(s).0 <= ts);
    let i = after.checked_sub(1)?;
    (span(&slices[i]).1 >= ts).then_some(i)
}

/// Where on slice `[start, end]` a flow end wanting time `want` goes:
/// strictly inside when the slice is long enough, else at its start.
fn bind_ts(start: Nanos, end: Nanos, want: Nanos) -> Nanos {
    if end - start >= 2 {
        want.clamp(start + 1, end - 1)
    } else {
        start
    }
}

fn thread_sort_index(thread: &Thread) -> u64 {
    let kind = match thread.kind {
        ThreadKind::Main => 0,
        ThreadKind::Worker => 1,
        ThreadKind::Blocking => 2,
        ThreadKind::Other => 3,
    };
    kind * 100_000 + thread.kind_index as u64
}

pub(crate) fn write(a: &Analysis, out: &mut dyn Write) -> io::Result<()> {
    let track_of: HashMap<Tid, usize> = a
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| (t.tid, i))
        .collect();

    // Bind each flow's source: to the slice enclosing it, or to a marker.
    let mut markers: Vec<Vec<(Nanos, FlowKind)>> = vec![Vec::new(); a.threads.len()];
    let mut sources = Vec::with_capacity(a.flows.len());
    for flow in &a.flows {
        let track = track_of[&flow.from_tid];
        let slices = &a.threads[track].slices;
        let solid = enclosing(slices, flow.from_ts, |s| (s.start, s.end));
        if solid.is_none() {
            markers[track].push((flow.from_ts, flow.kind));
        }
        sources.push((track, solid));
    }

    // Each track: solid slices, markers (one per time) and parked time
    // less both, sorted by (start, end).
    let mut tracks = Vec::with_capacity(a.threads.len());
    let mut seq = 0u64;
    for (thread, markers) in a.threads.iter().zip(&mut markers) {
        markers.sort_by_key(|m| m.0);
        markers.dedup_by_key(|m| m.0);
        let mut occupied: Vec<OutSlice> = thread
            .slices
            .iter()
            .enumerate()
            .map(|(i, s)| OutSlice {
                start: s.start,
                end: s.end,
                kind: OutKind::Solid(i),
            })
            .chain(markers.iter().map(|&(ts, kind)| OutSlice {
                start: ts,
                end: ts,
                kind: OutKind::Marker(kind),
            }))
            .collect();
        occupied.sort_by_key(|s| (s.start, s.end));
        let mut slices = occupied.clone();
        for &(from, to) in &thread.parked {
            let mut cur = from;
            let first = occupied.partition_point(|o| o.end <= from);
            for o in &occupied[first..] {
                if o.start >= to {
                    break;
                }
                if o.start > cur {
                    slices.push(OutSlice {
                        start: cur,
                        end: o.start,
                        kind: OutKind::Idle,
                    });
                }
                cur = cur.max(o.end);
            }
            if cur < to {
                slices.push(OutSlice {
                    start: cur,
                    end: to,
                    kind: OutKind::Idle,
                });
            }
        }
        slices.sort_by_key(|s| (s.start, s.end));
        tracks.push(Track {
            slices,
            first_seq: seq,
        });
        seq += tracks.last().map_or(0, |t| t.slices.len() as u64);
    }

    // Where each solid slice and marker ended up.
    let mut solid_at: Vec<Vec<usize>> = Vec::with_capacity(tracks.len());
    for (thread, track) in a.threads.iter().zip(&tracks) {
        let mut at = vec![0; thread.slices.len()];
        for (i, s) in track.slices.iter().enumerate() {
            if let OutKind::Solid(j) = s.kind {
                at[j] = i;
            }
        }
        solid_at.push(at);
    }

    let mut recs = Vec::new();
    for (t, track) in tracks.iter().enumerate() {
        for (i, s) in track.slices.iter().enumerate() {
            let seq = track.first_seq + i as u64;
            recs.push(Rec {
                ts: s.start,
                class: 0,
                seq,
                body: Body::Slice { track: t, slice: i },
            });
        }
    }
    for (n, (flow, &(from_track, solid))) in a.flows.iter().zip(&sources).enumerate() {
        let id = n as u64 + 1;
        let track = &tracks[from_track];
        let from = match solid {
            Some(j) => solid_at[from_track][j],
            None => {
                let at = track
                    .slices
                    .partition_point(|s| (s.start, s.end) < (flow.from_ts, flow.from_ts));
                debug_assert!(matches!(track.slices[at].kind, OutKind::Marker(_)));
                at
            }
        };
        let s = track.slices[from];
        let from_ts = bind_ts(s.start, s.end, flow.from_ts);
        recs.push(Rec {
            ts: from_ts,
            class: 1,
            seq: track.first_seq + from as u64,
            body: Body::Flow {
                id,
                kind: flow.kind,
                track: from_track,
                start: true,
            },
        });
        let to = solid_at[flow.to_thread][flow.to_slice];
        let target = &tracks[flow.to_thread];
        let s = target.slices[to];
        recs.push(Rec {
            ts: bind_ts(s.start, s.end, s.start.max(from_ts + 1)),
            class: 2,
            seq: target.first_seq + to as u64,
            body: Body::Flow {
                id,
                kind: flow.kind,
                track: flow.to_thread,
                start: false,
            },
        });
    }
    for (i, g) in a.goroutines.iter().enumerate() {
        let seq = seq + 2 * i as u64;
        recs.push(Rec {
            ts: g.start,
            class: 3,
            seq,
            body: Body::Lifetime {
                goroutine: i,
                begin: true,
            },
        });
        recs.push(Rec {
            ts: g.end,
            class: 3,
            seq: seq + 1,
            body: Body::Lifetime {
                goroutine: i,
                begin: false,
            },
        });
    }
    for (i, b) in a.blocked.iter().enumerate() {
        let seq = seq + 2 * a.goroutines.len() as u64 + i as u64;
        recs.push(Rec {
            ts: b.ts,
            class: 3,
            seq,
            body: Body::Blocked(i),
        });
    }
    recs.sort_unstable_by_key(|r| (r.ts, r.seq, r.class));

    let mut w = Writer { out, first: true };
    // No `displayTimeUnit`: Perfetto versions before 2023 took `"ns"` there
    // as the unit of `ts` and `dur`, which are microseconds by the format.
    w.out
        .write_all(b"{\"otherData\":{\"generator\":\"goro-trace\"")?;
    write!(
        w.out,
        ",\"dropped_events\":{}}},\"traceEvents\":[",
        a.dropped
    )?;
    w.metadata(a)?;
    for rec in &recs {
        w.record(a, &tracks, rec)?;
    }
    w.out.write_all(b"\n]}\n")
}

struct Writer<'o> {
    out: &'o mut dyn Write,
    first: bool,
}

impl Writer<'_> {
    /// Starts an event object: `{"ph":"X","pid":1,"tid":T`.
    fn open(&mut self, ph: &str, tid: u32) -> io::Result<()> {
        let sep = if self.first { "\n" } else { ",\n" };
        self.first = false;
        write!(
            self.out,
            "{sep}{{\"ph\":\"{ph}\",\"pid\":{PID},\"tid\":{tid}"
        )
    }

    fn ts(&mut self, key: &str, ns: Nanos) -> io::Result<()> {
        write!(self.out, ",\"{key}\":")?;
        write_micros(self.out, ns)
    }

    fn str(&mut self, key: &str, value: &str) -> io::Result<()> {
        write!(self.out, ",\"{key}\":")?;
        write_json_str(self.out, value)
    }

    fn metadata(&mut self, a: &Analysis) -> io::Result<()> {
        let first_tid = a.threads.first().map_or(0, |t| t.tid);
        self.open("M", first_tid)?;
        self.out
            .write_all(b",\"name\":\"process_name\",\"args\":{\"name\":\"goro\"}}")?;
        for thread in &a.threads {
            self.open("M", thread.tid)?;
            self.out
                .write_all(b",\"name\":\"thread_name\",\"args\":{")?;
            write!(self.out, "\"name\":")?;
            write_json_str(self.out, &thread.label())?;
            self.out.write_all(b"}}")?;
            self.open("M", thread.tid)?;
            write!(
                self.out,
                ",\"name\":\"thread_sort_index\",\"args\":{{\"sort_index\":{}}}}}",
                thread_sort_index(thread)
            )?;
        }
        Ok(())
    }

    /// `"goroutine":ID,"name":…,"spawned_at":…,"parent":…` for goroutine
    /// index `g`.
    fn goroutine_args(&mut self, a: &Analysis, g: usize) -> io::Result<()> {
        let g = &a.goroutines[g];
        write!(self.out, "\"goroutine\":{}", g.id)?;
        match &g.name {
            Some(name) => self.str("name", name)?,
            None => self.out.write_all(b",\"name\":null")?,
        }
        self.str("spawned_at", &a.sites[g.site].site)?;
        match g.parent {
            Some(parent) => write!(self.out, ",\"parent\":{parent}"),
            None => self.out.write_all(b",\"parent\":null"),
        }
    }

    /// The name of goroutine index `g`'s lifetime slice: its name (if it
    /// has one) and short spawn site, without its id, so that Perfetto
    /// groups the lifetimes of goroutines of a kind into one track.
    fn lifetime_name(a: &Analysis, g: usize) -> String {
        let g = &a.goroutines[g];
        let site = super::text::short_site(&a.sites[g.site].site);
        match &g.name {
            Some(name) => format!("{name} · {site}"),
            None => site.to_string(),
        }
    }

    /// The slice name of goroutine index `g`: its label if named, else its
    /// short spawn site and id.
    fn goroutine_name(a: &Analysis, g: usize) -> String {
        let g = &a.goroutines[g];
        match &g.name {
            Some(_) => g.label.clone(),
            None => format!(
                "{} #{}",
                super::text::short_site(&a.sites[g.site].site),
                g.id
            ),
        }
    }

    fn record(&mut self, a: &Analysis, tracks: &[Track], rec: &Rec) -> io::Result<()> {
        match rec.body {
            Body::Slice { track, slice } => {
                let thread = &a.threads[track];
                let s = tracks[track].slices[slice];
                self.open("X", thread.tid)?;
                self.ts("ts", s.start)?;
                self.ts("dur", s.end - s.start)?;
                match s.kind {
                    OutKind::Solid(i) => match thread.slices[i].what {
                        SliceKind::Poll { goroutine, ready } => {
                            self.out.write_all(b",\"cat\":\"poll\"")?;
                            self.str("name", &Self::goroutine_name(a, goroutine))?;
                            self.out.write_all(b",\"args\":{")?;
                            self.goroutine_args(a, goroutine)?;
                            write!(self.out, ",\"ready\":{ready}}}")?;
                        }
                        SliceKind::Blocking { job, goroutine } => {
                            self.out.write_all(b",\"cat\":\"blocking\"")?;
                            let name = match goroutine {
                                Some(g) => format!("blocking: {}", Self::goroutine_name(a, g)),
                                None => "blocking".to_string(),
                            };
                            self.str("name", &name)?;
                            write!(self.out, ",\"args\":{{\"job\":{job}")?;
                            if let Some(g) = goroutine {
                                self.out.write_all(b",")?;
                                self.goroutine_args(a, g)?;
                            }
                            self.out.write_all(b"}")?;
                        }
                    },
                    OutKind::Marker(kind) => {
                        write!(self.out, ",\"cat\":\"marker\",\"name\":\"{}\"", kind.name())?;
                    }
                    OutKind::Idle => self.out.write_all(b",\"cat\":\"idle\",\"name\":\"idle\"")?,
                }
                self.out.write_all(b"}")
            }
            Body::Flow {
                id,
                kind,
                track,
                start,
            } => {
                self.open(if start { "s" } else { "f" }, a.threads[track].tid)?;
                self.ts("ts", rec.ts)?;
                write!(
                    self.out,
                    ",\"cat\":\"flow\",\"name\":\"{}\",\"id\":{id}",
                    kind.name()
                )?;
                if !start {
                    self.out.write_all(b",\"bp\":\"e\"")?;
                }
                self.out.write_all(b"}")
            }
            Body::Lifetime { goroutine, begin } => {
                let g = &a.goroutines[goroutine];
                self.open(if begin { "b" } else { "e" }, g.start_tid)?;
                self.ts("ts", rec.ts)?;
                write!(self.out, ",\"cat\":\"goroutine\",\"id\":{}", g.id)?;
                self.str("name", &Self::lifetime_name(a, goroutine))?;
                self.out.write_all(b",\"args\":{")?;
                if begin {
                    self.goroutine_args(a, goroutine)?;
                } else {
                    let outcome = match g.outcome {
                        Some(o) => format!("{o:?}"),
                        None => "running at end of recording".to_string(),
                    };
                    self.out.write_all(b"\"outcome\":")?;
                    write_json_str(self.out, &outcome)?;
                    write!(
                        self.out,
                        ",\"busy_ns\":{},\"scheduled_ns\":{},\"polls\":{}",
                        g.busy, g.scheduled, g.polls
                    )?;
                }
                self.out.write_all(b"}}")
            }
            Body::Blocked(i) => {
                let b = &a.blocked[i];
                // Process-scoped: a thread-scoped instant inside a poll
                // would become the slice later flow starts in that poll
                // bind to.
                self.open("i", b.tid)?;
                self.ts("ts", b.ts)?;
                let thread = a
                    .threads
                    .iter()
                    .find(|t| t.tid == b.tid)
                    .map(|t| t.kind_label());
                let name = format!("blocked: {}", thread.unwrap_or_default());
                self.out.write_all(b",\"s\":\"p\",\"cat\":\"watchdog\"")?;
                self.str("name", &name)?;
                self.out.write_all(b",\"args\":{")?;
                self.goroutine_args(a, b.goroutine)?;
                write!(
                    self.out,
                    ",\"worker_tid\":{},\"blocked_for_ns\":{}}}}}",
                    b.tid, b.blocked_for
                )
            }
        }
    }
}
