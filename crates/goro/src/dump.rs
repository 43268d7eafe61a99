//! `goro::dump()`: every live goroutine, what it is doing and since when,
//! as Go's traceback headers show them.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use crate::goroutine::id::GoroutineId;
use crate::runtime::carriers::Carriers;
use crate::runtime::context;
use crate::runtime::status::{self, kind, Reading};

/// What a goroutine is doing, as [`dump`] saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Started, or woken by a goroutine's yield, and not polled since.
    Runnable,
    /// Being polled, on the runtime's thread number `thread`.
    Running {
        /// The thread's number in its runtime, in the order threads
        /// started.
        thread: u32,
    },
    /// A `spawn_blocking` goroutine: its closure runs on the blocking pool.
    RunningBlocking,
    /// Waiting to receive on a channel.
    ChanReceive {
        /// The channel's number in this dump: goroutines that wait on the
        /// same channel show the same number.
        chan: u64,
        /// Its capacity (saturated at `u32::MAX`).
        capacity: usize,
        /// The values in its buffer when the receive started waiting
        /// (none: a receive waits only on an empty channel).
        len: usize,
    },
    /// Waiting to send on a channel.
    ChanSend {
        /// The channel's number, as for [`State::ChanReceive`].
        chan: u64,
        /// Its capacity (saturated at `u32::MAX`).
        capacity: usize,
        /// The values in its buffer when the send started waiting (a send
        /// waits only on a full buffer, or on a rendezvous).
        len: usize,
    },
    /// Waiting in a [`select!`](crate::select!) without `default`.
    Select {
        /// How many branches it has.
        branches: usize,
    },
    /// Waiting for a [`WaitGroup`](crate::sync::WaitGroup).
    WaitGroup,
    /// In [`time::sleep`](crate::time::sleep).
    Sleep,
    /// Waiting for its [`blocking`](crate::blocking) call, which runs on
    /// the blocking pool.
    BlockingCall,
    /// Waiting on something goro does not see into: a Tokio resource (a
    /// socket, a `tokio::sync` lock, a Tokio timer) or another future.
    Other,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Runnable => f.write_str("runnable"),
            State::Running { thread } => write!(f, "running on thread {thread}"),
            State::RunningBlocking => f.write_str("running on the blocking pool"),
            State::ChanReceive { .. } => f.write_str("chan receive"),
            State::ChanSend { .. } => f.write_str("chan send"),
            State::Select { branches } => write!(f, "select, {branches} branches"),
            State::WaitGroup => f.write_str("WaitGroup wait"),
            State::Sleep => f.write_str("sleep"),
            State::BlockingCall => f.write_str("blocking call"),
            State::Other => f.write_str("other wait"),
        }
    }
}

/// One goroutine in a [`Dump`].
#[derive(Clone, Debug)]
pub struct GoroutineDump {
    id: GoroutineId,
    name: Option<Arc<str>>,
    spawned_at: &'static Location<'static>,
    parent: Option<GoroutineId>,
    state: State,
    since: Duration,
}

impl GoroutineDump {
    /// Its id.
    pub fn id(&self) -> GoroutineId {
        self.id
    }

    /// Its name, if it was given one (the main goroutine's is `main`).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where it was started: the `go!` or `spawn` call, or `run` for main.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// The goroutine that started it, if a goroutine did.
    pub fn parent(&self) -> Option<GoroutineId> {
        self.parent
    }

    /// What it was doing.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// How long it had been in that state, measured with a coarse clock
    /// (to a few milliseconds).
    pub fn since(&self) -> Duration {
        self.since
    }
}

impl fmt::Display for GoroutineDump {
    /// `goroutine 7 "name" [chan receive, 2 minutes]:`, then where it was
    /// spawned and, for a channel wait, which channel.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "goroutine {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        write!(f, " [{}", self.state)?;
        let secs = self.since.as_secs();
        if secs >= 120 {
            write!(f, ", {} minutes", secs / 60)?;
        } else if secs >= 60 {
            f.write_str(", 1 minute")?;
        } else if secs >= 1 {
            write!(f, ", {secs} seconds")?;
        }
        f.write_str("]:\n")?;
        match &self.state {
            State::ChanReceive {
                chan,
                capacity,
                len,
            }
            | State::ChanSend {
                chan,
                capacity,
                len,
            } => writeln!(f, "    on chan #{chan} (capacity {capacity}, length {len})")?,
            _ => {}
        }
        write!(
            f,
            "    spawned at {}:{}",
            self.spawned_at.file(),
            self.spawned_at.line()
        )?;
        if let Some(parent) = self.parent {
            write!(f, " by goroutine {parent}")?;
        }
        writeln!(f)
    }
}

/// Every live goroutine of a runtime at one moment, in id order: what
/// [`dump`] returns. Its `Display` prints one block per goroutine, as Go's
/// traceback does (without stacks: a goroutine's place in its code is its
/// future's state, which has no stack to walk).
#[derive(Clone, Debug, Default)]
pub struct Dump {
    goroutines: Vec<GoroutineDump>,
}

impl Dump {
    /// The goroutines, in id order.
    pub fn goroutines(&self) -> &[GoroutineDump] {
        &self.goroutines
    }

    /// The goroutine with id `id`, if it was alive.
    pub fn get(&self, id: GoroutineId) -> Option<&GoroutineDump> {
        self.goroutines
            .binary_search_by_key(&id, |g| g.id)
            .ok()
            .map(|i| &self.goroutines[i])
    }

    /// How many goroutines were alive.
    pub fn len(&self) -> usize {
        self.goroutines.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.goroutines.is_empty()
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, goroutine) in self.goroutines.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            fmt::Display::fmt(goroutine, f)?;
        }
        Ok(())
    }
}

/// Lists every live goroutine, main included, with what it is doing: Go's
/// goroutine dump (what `SIGQUIT` prints in Go), without stacks.
///
/// Called inside a runtime (in a goroutine, or on one of its threads), it
/// lists that runtime's goroutines; elsewhere, those of every goro runtime
/// still running. It takes a consistent reading of each goroutine, not of
/// all at once: goroutines that start or end meanwhile may or may not be
/// listed, and none is listed twice. It locks nothing a goroutine needs to run.
///
/// A state is recorded when goro sees it: each poll marks the goroutine
/// running, and goro's own primitives (channels, `select!`, `WaitGroup`,
/// `sleep`, `blocking`) say what it waits for when it starts to wait.
/// A goroutine that waits on anything else is in [`State::Other`]; one
/// woken by a channel or a `WaitGroup` shows its wait until it is polled.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     let (_tx, rx) = goro::chan::<u32>(0);
///     let waiting = goro::go!(async move { rx.recv().await });
///     while !matches!(
///         goro::dump().get(waiting.id()).map(|g| g.state().clone()),
///         Some(goro::State::ChanReceive { .. })
///     ) {
///         goro::gosched().await;
///     }
///     let dump = goro::dump();
///     assert!(dump.to_string().contains("[chan receive"));
///     assert_eq!(dump.get(goro::GoroutineId::MAIN).unwrap().name(), Some("main"));
/// });
/// ```
pub fn dump() -> Dump {
    let runtimes = match context::carriers() {
        Some(carriers) => vec![carriers],
        None => Carriers::runtimes(),
    };
    dump_of(&runtimes)
}

/// The dump of the goroutines of `runtimes`.
pub(crate) fn dump_of(runtimes: &[Arc<Carriers>]) -> Dump {
    let now = status::clock();
    let mut readings: Vec<Reading> = runtimes
        .iter()
        .flat_map(|carriers| carriers.statuses())
        .filter_map(|host| host.status().read())
        .collect();
    readings.sort_by_key(|r| r.who.id);
    // Channels are told apart by address; they are numbered in the order
    // the goroutines waiting on them come.
    let mut chans = std::collections::HashMap::new();
    let mut goroutines: Vec<GoroutineDump> = readings
        .into_iter()
        .map(|reading| {
            let next = chans.len() as u64 + 1;
            entry(reading, now, |address| {
                *chans.entry(address).or_insert(next)
            })
        })
        .collect();
    // A goroutine that moved to a new carrier between two readings (it
    // cannot: a goroutine stays with its carrier) would show twice; ids
    // are unique all the same.
    goroutines.dedup_by_key(|g| g.id);
    Dump { goroutines }
}

/// The goroutines alive now and their states, for a recording's summary
/// (feature `trace`).
#[cfg(feature = "trace")]
pub(crate) fn alive_for_trace() -> Vec<goro_trace::AliveGoroutine> {
    dump()
        .goroutines
        .into_iter()
        .map(|g| goro_trace::AliveGoroutine {
            id: g.id.as_u64(),
            state: g.state.to_string(),
            since: u64::try_from(g.since.as_nanos()).unwrap_or(u64::MAX),
            spawned_at: g.spawned_at,
            name: g.name,
        })
        .collect()
}

/// How long [`leaked`] gives goroutines to end.
const LEAK_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// The goroutines of the caller's runtime still alive besides the caller
/// and main, after giving them up to two seconds to end: what a test
/// leaked. Goroutines goro starts itself (named `goro::..`) do not count;
/// timers are no goroutines.
///
/// A goroutine that has done its work can take a moment to end (the one
/// that called `WaitGroup::done`, say), so an empty answer may take a few
/// polls; a non-empty one takes the whole grace. `#[goro::test]` runs this
/// check when the test's body returns.
///
/// # Panics
///
/// Panics if called outside a goroutine.
///
/// # Examples
///
/// ```
/// goro::run(async {
///     let (tx, rx) = goro::chan::<u32>(0);
///     goro::go!(async move { while rx.recv().await.is_some() {} });
///     drop(tx); // closes the channel: the goroutine ends
///     let leaked = goro::leaked().await;
///     assert!(leaked.is_empty(), "leaked:\n{leaked}");
/// });
/// ```
pub async fn leaked() -> Dump {
    let me = context::current().expect("goro::leaked() is called from a goroutine");
    let deadline = std::time::Instant::now() + LEAK_GRACE;
    loop {
        let mut dump = dump();
        dump.goroutines.retain(|g| {
            g.id != me
                && g.id != GoroutineId::MAIN
                && !g
                    .name
                    .as_deref()
                    .is_some_and(|name| name.starts_with("goro::"))
        });
        if dump.is_empty() || std::time::Instant::now() >= deadline {
            return dump;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

fn entry(reading: Reading, now: u32, mut chan: impl FnMut(u64) -> u64) -> GoroutineDump {
    let word = reading.state;
    let capacity = reading.cap as usize;
    let state = match word.kind() {
        kind::RUNNABLE => State::Runnable,
        kind::RUNNING => State::Running {
            thread: u32::try_from(word.detail()).unwrap_or(u32::MAX),
        },
        kind::ON_POOL => State::RunningBlocking,
        kind::CHAN_RECV => State::ChanReceive {
            chan: chan(word.detail()),
            capacity,
            len: 0,
        },
        kind::CHAN_SEND => State::ChanSend {
            chan: chan(word.detail()),
            capacity,
            len: capacity,
        },
        kind::SELECT => State::Select {
            branches: word.detail() as usize,
        },
        kind::WAIT_GROUP => State::WaitGroup,
        kind::SLEEP => State::Sleep,
        kind::BLOCKING => State::BlockingCall,
        _ => State::Other,
    };
    GoroutineDump {
        id: reading.who.id,
        name: reading.who.name,
        spawned_at: reading.who.spawned_at,
        parent: reading.who.parent,
        state,
        since: Duration::from_millis(u64::from(now.wrapping_sub(reading.since))),
    }
}
