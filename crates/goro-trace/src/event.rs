//! What a recording holds: threads, goroutines and timestamped events.
//!
//! Times are nanoseconds since the recording started ([`Nanos`]). Goroutine
//! ids are goro's (the main goroutine is 1). Thread ids ([`Tid`]) are small
//! numbers given by the recorder, one per OS thread that recorded anything.

use std::collections::BTreeMap;
use std::panic::Location;
use std::sync::Arc;

/// Nanoseconds since the recording started.
pub type Nanos = u64;

/// A thread as the recorder numbers it (1, 2, ..., in order of first event).
pub type Tid = u32;

/// A goroutine id: goro's `GoroutineId` as a number (main is 1).
pub type Gid = u64;

/// A complete recording, ready for the exporters.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// When the snapshot was taken: the end of the recorded time span.
    pub end: Nanos,
    /// Every thread that recorded an event, by [`Tid`].
    pub threads: Vec<ThreadInfo>,
    /// Every goroutine whose spawn (or a poll) was recorded, by id.
    pub goroutines: BTreeMap<Gid, GoroutineInfo>,
    /// Events sorted by time (a slice event by its start).
    pub events: Vec<Event>,
    /// Events dropped because a thread's ring buffer was full (the oldest go
    /// first).
    pub dropped: u64,
    /// The goroutines alive when the recording ended, as the program's
    /// runtime saw them (goro's dump), if it said; otherwise the summary
    /// lists those whose end the recording did not see.
    pub alive: Option<Vec<AliveGoroutine>>,
}

/// A goroutine alive when the recording ended, and what it was doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliveGoroutine {
    /// Its id.
    pub id: Gid,
    /// Its name, if it has one.
    pub name: Option<Arc<str>>,
    /// What it was doing: `chan receive`, `running on thread 0`, ...
    pub state: String,
    /// For how long, in nanoseconds (as precisely as the runtime knows).
    pub since: Nanos,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
}

/// A thread that recorded events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadInfo {
    /// The recorder's number for it.
    pub tid: Tid,
    /// The OS thread's name (`goro-worker-0`, `main`, ...).
    pub name: String,
    /// What the thread does.
    pub kind: ThreadKind,
}

/// What a thread does for the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ThreadKind {
    /// The thread that called `goro::run`: it polls the main goroutine.
    Main,
    /// A worker thread of a runtime: it polls goroutines.
    Worker,
    /// A blocking-pool thread: it runs blocking calls.
    Blocking,
    /// Any other thread (one that woke a goroutine, for example).
    Other,
}

/// A goroutine's identity: what the exporters label it with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoroutineInfo {
    /// Its id.
    pub id: Gid,
    /// Its name, if it was given one (the main goroutine is `main`).
    pub name: Option<Arc<str>>,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
    /// The goroutine that spawned it, if a goroutine did.
    pub parent: Option<Gid>,
}

impl GoroutineInfo {
    /// `file:line` of the spawn, the key goroutines are grouped by.
    pub fn site(&self) -> String {
        site(self.spawned_at)
    }

    /// A short label: `name #id` or `#id`.
    pub fn label(&self) -> String {
        label(self.name.as_deref(), self.id)
    }
}

/// A goroutine's short label: `name #id` or `#id`.
pub fn label(name: Option<&str>, id: Gid) -> String {
    match name {
        Some(name) => format!("{name} #{id}"),
        None => format!("#{id}"),
    }
}

/// `file:line` of a location.
pub fn site(location: &Location<'_>) -> String {
    format!("{}:{}", location.file(), location.line())
}

/// How a goroutine ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Its future returned.
    Completed,
    /// It panicked (recorded under `Panic::Isolate`; under `Panic::Exit` the
    /// process ends and the recording is written).
    Panicked,
    /// It was dropped before completing: aborted, or abandoned when its
    /// runtime shut down.
    Cancelled,
}

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Goroutine `goroutine` was spawned by `parent` (or by a thread outside
    /// any goroutine) on thread `tid`. Its identity is in
    /// [`Trace::goroutines`].
    Spawn {
        /// When.
        ts: Nanos,
        /// The spawning thread.
        tid: Tid,
        /// The new goroutine.
        goroutine: Gid,
        /// The spawning goroutine.
        parent: Option<Gid>,
    },
    /// One poll of a goroutine, on thread `tid`, from `start` to `end`.
    /// Polls on one thread never overlap.
    Poll {
        /// Poll start.
        start: Nanos,
        /// Poll end.
        end: Nanos,
        /// The polling thread.
        tid: Tid,
        /// The goroutine polled.
        goroutine: Gid,
        /// Whether the goroutine completed in this poll.
        ready: bool,
    },
    /// Goroutine `target` was woken, by goroutine `by` if a goroutine was
    /// running on `tid` then (else by the thread itself: a timer, IO, a
    /// blocking call, another program thread).
    Wake {
        /// When.
        ts: Nanos,
        /// The waking thread.
        tid: Tid,
        /// The woken goroutine.
        target: Gid,
        /// The goroutine running on `tid` at the time, if any.
        by: Option<Gid>,
    },
    /// A blocking call was handed to the blocking pool.
    BlockingSubmit {
        /// When.
        ts: Nanos,
        /// The submitting thread.
        tid: Tid,
        /// The hand-off's number, shared with its [`Event::BlockingRun`].
        job: u64,
        /// The goroutine that submitted it, if any.
        by: Option<Gid>,
    },
    /// A blocking call ran on blocking-pool thread `tid`.
    BlockingRun {
        /// Start of the call.
        start: Nanos,
        /// End of the call.
        end: Nanos,
        /// The blocking-pool thread.
        tid: Tid,
        /// The hand-off's number.
        job: u64,
        /// The goroutine the call runs as: the caller of `goro::blocking`,
        /// or the goroutine `spawn_blocking` started.
        goroutine: Option<Gid>,
    },
    /// Worker `tid` ran out of work and parked (went idle).
    Park {
        /// When.
        ts: Nanos,
        /// The worker.
        tid: Tid,
    },
    /// Worker `tid` woke up from parking.
    Unpark {
        /// When.
        ts: Nanos,
        /// The worker.
        tid: Tid,
    },
    /// A goroutine ended.
    End {
        /// When.
        ts: Nanos,
        /// The thread it ended on.
        tid: Tid,
        /// The goroutine.
        goroutine: Gid,
        /// How.
        outcome: Outcome,
    },
    /// The watchdog saw goroutine `goroutine` hold worker `tid` for
    /// `blocked_for` nanoseconds in one poll (the poll was still running).
    Blocked {
        /// When the watchdog noticed.
        ts: Nanos,
        /// The worker being held.
        tid: Tid,
        /// The goroutine holding it.
        goroutine: Gid,
        /// How long the poll had run by then.
        blocked_for: Nanos,
    },
}

impl Event {
    /// The event's time (a slice's start).
    pub fn ts(&self) -> Nanos {
        match *self {
            Event::Spawn { ts, .. }
            | Event::Wake { ts, .. }
            | Event::BlockingSubmit { ts, .. }
            | Event::Park { ts, .. }
            | Event::Unpark { ts, .. }
            | Event::End { ts, .. }
            | Event::Blocked { ts, .. } => ts,
            Event::Poll { start, .. } | Event::BlockingRun { start, .. } => start,
        }
    }

    /// The thread the event happened on.
    pub fn tid(&self) -> Tid {
        match *self {
            Event::Spawn { tid, .. }
            | Event::Poll { tid, .. }
            | Event::Wake { tid, .. }
            | Event::BlockingSubmit { tid, .. }
            | Event::BlockingRun { tid, .. }
            | Event::Park { tid, .. }
            | Event::Unpark { tid, .. }
            | Event::End { tid, .. }
            | Event::Blocked { tid, .. } => tid,
        }
    }
}
