//! What each goroutine is doing, for `goro::dump`: one `Status` per carrier
//! (and per goroutine hosted elsewhere: main on the calling thread, a
//! `spawn_blocking` goroutine), listed in its runtime's `Carriers`.
//!
//! Two kinds of writes, by two kinds of writers, and readers that never
//! block either:
//!
//! - *Who*: the goroutine's id, parent, spawn site and name, written when a
//!   goroutine is handed to the carrier (by its spawner, which holds the
//!   idle carrier alone) and cleared when it ends (by the carrier). The id
//!   guards the rest, as a seqlock's sequence number would: it is 0 while
//!   the fields change, stored last when they are written, and never the
//!   same for two goroutines; a reader that reads the same id before and
//!   after the fields read that goroutine's fields.
//! - *What*: the state word, and when it was entered, written by the thread
//!   polling the goroutine: `Running` at each poll, a wait by the goro
//!   primitive that returns `Pending` (a channel operation, a `select!`, a
//!   `WaitGroup`, a sleep, a blocking call), `Other` if the poll returned
//!   `Pending` without one. Plain stores, each word on its own.
//!
//! Times are a coarse monotonic clock, cached per thread (`context`), so
//! that a wait costs no clock read.

use std::collections::BTreeMap;
use std::panic::Location;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::goroutine::id::GoroutineId;

/// A goroutine's state as the status word holds it: the kind in the low
/// byte, a detail in the rest (the thread's number, a branch count, or the
/// address of the channel waited on, which tells channels apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word(u64);

/// The kinds of state.
pub(crate) mod kind {
    /// Started or woken by goro, not polled yet.
    pub(crate) const RUNNABLE: u8 = 1;
    /// Being polled, on the thread in the detail.
    pub(crate) const RUNNING: u8 = 2;
    pub(crate) const CHAN_RECV: u8 = 3;
    pub(crate) const CHAN_SEND: u8 = 4;
    /// `select!`; the detail is the number of branches.
    pub(crate) const SELECT: u8 = 5;
    pub(crate) const WAIT_GROUP: u8 = 6;
    pub(crate) const SLEEP: u8 = 7;
    /// Waiting for its `goro::blocking` call on the blocking pool.
    pub(crate) const BLOCKING: u8 = 8;
    /// Waiting on something goro cannot see into.
    pub(crate) const OTHER: u8 = 9;
    /// A `spawn_blocking` goroutine, running on the blocking pool.
    pub(crate) const ON_POOL: u8 = 10;
}

impl Word {
    #[inline(always)]
    pub(crate) const fn new(kind: u8, detail: u64) -> Word {
        Word(kind as u64 | (detail << 8))
    }

    #[inline(always)]
    pub(crate) const fn of(kind: u8) -> Word {
        Word::new(kind, 0)
    }

    /// A wait on the channel at `address`.
    #[inline(always)]
    pub(crate) fn chan<T>(kind: u8, address: *const T) -> Word {
        Word::new(kind, (address as usize as u64) >> 3)
    }

    pub(crate) fn kind(self) -> u8 {
        self.0 as u8
    }

    pub(crate) fn detail(self) -> u64 {
        self.0 >> 8
    }
}

/// One goroutine's status; see the module's docs. Five words, so that it
/// shares its carrier's cache lines rather than adding to them.
#[derive(Default)]
pub(crate) struct Status {
    /// 0 while no goroutine is here, or while who is here changes.
    id: AtomicU64,
    /// The parent's id, with `NAMED` set if the goroutine has a name (kept
    /// in `NAMES`, as most goroutines have none).
    parent: AtomicU64,
    site: AtomicPtr<Location<'static>>,
    state: AtomicU64,
    /// When the state was entered (`clock`, wrapping, in the low half) and,
    /// for a channel wait, the channel's capacity (saturating, in the high
    /// half).
    when: AtomicU64,
}

/// Set in `Status::parent` when the goroutine's name is in `NAMES`.
const NAMED: u64 = 1 << 63;

/// The names of named goroutines, by the address of their status (ids are
/// per runtime) with their id, in shards so that named spawns on different
/// threads seldom meet.
static NAMES: [Mutex<NameTable>; 16] = [const { Mutex::new(BTreeMap::new()) }; 16];

/// Each named goroutine's id and name, by its status's address.
type NameTable = BTreeMap<usize, (u64, Arc<str>)>;

type Names = MutexGuard<'static, NameTable>;

fn names(status: &Status) -> (Names, usize) {
    let key = ptr::from_ref(status) as usize;
    let shard = (key / std::mem::size_of::<Status>()) % 16;
    (
        NAMES[shard].lock().unwrap_or_else(PoisonError::into_inner),
        key,
    )
}

/// Who a goroutine is, as its status says.
pub(crate) struct Who {
    pub(crate) id: GoroutineId,
    pub(crate) parent: Option<GoroutineId>,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) name: Option<Arc<str>>,
}

/// A consistent reading of a status.
pub(crate) struct Reading {
    pub(crate) who: Who,
    pub(crate) state: Word,
    /// The capacity of the channel of a channel wait, saturated at
    /// `u32::MAX`.
    pub(crate) cap: u32,
    /// When the state was entered, on `clock`'s wrapping scale.
    pub(crate) since: u32,
}

impl Status {
    /// A goroutine arrives (`state`: runnable, or on the pool). Only one
    /// thread at a time writes who is here, after `leave` (or none).
    #[inline(always)]
    pub(crate) fn arrive(&self, who: &Who, state: Word, now: u32) {
        // The fields below are written after the id's 0 (`leave`).
        std::sync::atomic::fence(Ordering::Release);
        let mut parent = who.parent.map_or(0, GoroutineId::as_u64);
        if let Some(name) = &who.name {
            self.set_name(who.id, name);
            parent |= NAMED;
        }
        self.parent.store(parent, Ordering::Relaxed);
        self.site
            .store(ptr::from_ref(who.spawned_at).cast_mut(), Ordering::Relaxed);
        self.state.store(state.0, Ordering::Relaxed);
        self.when.store(u64::from(now), Ordering::Relaxed);
        self.id.store(who.id.as_u64(), Ordering::Release);
    }

    /// The goroutine has ended.
    #[inline(always)]
    pub(crate) fn leave(&self) {
        // Only the goroutine's host writes here now: no read-modify-write.
        let id = self.id.load(Ordering::Relaxed);
        if id != 0 {
            self.id.store(0, Ordering::Relaxed);
            if self.parent.load(Ordering::Relaxed) & NAMED != 0 {
                self.clear_name();
            }
        }
    }

    /// A wait the goroutine's poll reports: a goro wait (a channel, a
    /// `select!`, a `WaitGroup`) does not replace a wait of another kind
    /// reported earlier in the same poll (a sleep beside a receive may
    /// still end the poll's wait); any other replaces it.
    #[inline(always)]
    pub(crate) fn may_report(&self, state: Word) -> bool {
        if !state.is_goro_wait() {
            return true;
        }
        let now = Word(self.state.load(Ordering::Relaxed));
        now.kind() == kind::RUNNING || now.is_goro_wait()
    }

    /// Sets the state word, and when it was entered.
    #[inline(always)]
    pub(crate) fn set(&self, state: Word, now: u32) {
        self.state.store(state.0, Ordering::Relaxed);
        self.when.store(u64::from(now), Ordering::Relaxed);
    }

    /// Marks the goroutine running (a poll starts): the time is not kept.
    #[inline(always)]
    pub(crate) fn run(&self, state: Word) {
        self.state.store(state.0, Ordering::Relaxed);
    }

    /// A channel wait, on a channel of capacity `cap`.
    #[inline(always)]
    pub(crate) fn set_chan(&self, state: Word, cap: usize, now: u32) {
        let cap = u32::try_from(cap).unwrap_or(u32::MAX);
        self.state.store(state.0, Ordering::Relaxed);
        self.when
            .store(u64::from(now) | (u64::from(cap) << 32), Ordering::Relaxed);
    }

    /// The poll returned `Pending`: if no goro primitive said what it waits
    /// for, it waits for something else.
    #[inline(always)]
    pub(crate) fn pending(&self, now: impl FnOnce() -> u32) {
        if Word(self.state.load(Ordering::Relaxed)).kind() == kind::RUNNING {
            self.set(Word::of(kind::OTHER), now());
        }
    }

    /// Reads the status; `None` if no goroutine is here (or goroutines
    /// came and went faster than it could read one, which it does not wait
    /// out).
    pub(crate) fn read(&self) -> Option<Reading> {
        for _ in 0..READ_TRIES {
            let id = self.id.load(Ordering::Acquire);
            GoroutineId::from_u64(id)?;
            let parent = self.parent.load(Ordering::Relaxed);
            let site = self.site.load(Ordering::Relaxed);
            let state = Word(self.state.load(Ordering::Relaxed));
            let when = self.when.load(Ordering::Relaxed);
            let name = if parent & NAMED != 0 {
                let (names, key) = names(self);
                names
                    .get(&key)
                    .filter(|(named, _)| *named == id)
                    .map(|(_, name)| name.clone())
            } else {
                None
            };
            std::sync::atomic::fence(Ordering::Acquire);
            if self.id.load(Ordering::Relaxed) != id
                || site.is_null()
                || (parent & NAMED != 0 && name.is_none())
            {
                // Another goroutine came meanwhile: read that one.
                std::thread::yield_now();
                continue;
            }
            let id = GoroutineId::from_u64(id)?;
            // SAFETY: `site` was stored from a `&'static Location` by
            // `arrive` for goroutine `id` (the id read before and after it
            // says so), and is not null.
            #[allow(unsafe_code)]
            let spawned_at: &'static Location<'static> = unsafe { &*site };
            return Some(Reading {
                who: Who {
                    id,
                    parent: GoroutineId::from_u64(parent & !NAMED),
                    spawned_at,
                    name,
                },
                state,
                cap: (when >> 32) as u32,
                since: when as u32,
            });
        }
        None
    }
}

/// A glance at a status: who is there and in what state, without the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Glance {
    /// No goroutine is there.
    Empty,
    /// Goroutine `id` is there, in `state`.
    Goroutine(u64, Word),
    /// Goroutines came and went while it looked.
    Changing,
}

impl Status {
    /// Who is here and in what state, consistently (the id read before
    /// and after the state is the same).
    pub(crate) fn glance(&self) -> Glance {
        let id = self.id.load(Ordering::Acquire);
        if id == 0 {
            return Glance::Empty;
        }
        let state = Word(self.state.load(Ordering::Relaxed));
        std::sync::atomic::fence(Ordering::Acquire);
        if self.id.load(Ordering::Relaxed) == id {
            Glance::Goroutine(id, state)
        } else {
            Glance::Changing
        }
    }
}

impl Word {
    /// Whether the state is a wait that only another goroutine can end
    /// (a channel operation, a `select!` without `default`, a `WaitGroup`):
    /// what the deadlock report looks for.
    pub(crate) fn is_goro_wait(self) -> bool {
        matches!(
            self.kind(),
            kind::CHAN_RECV | kind::CHAN_SEND | kind::SELECT | kind::WAIT_GROUP
        )
    }

    /// The word as a number, for a digest of states.
    pub(crate) fn bits(self) -> u64 {
        self.0
    }
}

/// How many times `read` tries for a consistent reading.
const READ_TRIES: u32 = 64;

impl Status {
    #[cold]
    fn set_name(&self, id: GoroutineId, name: &Arc<str>) {
        let (mut names, key) = names(self);
        names.insert(key, (id.as_u64(), name.clone()));
    }

    #[cold]
    fn clear_name(&self) {
        let (mut names, key) = names(self);
        names.remove(&key);
    }
}

impl Drop for Status {
    fn drop(&mut self) {
        self.leave();
    }
}

/// The status of a goroutine hosted outside the carriers (main on the
/// calling thread, a `spawn_blocking` goroutine), listed in its runtime
/// (`Carriers::list`). Dropped when the goroutine ends, it says so at
/// once: a dump may hold the status a moment longer.
pub(crate) struct Listed(pub(crate) Arc<Status>);

impl Drop for Listed {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// A coarse monotonic clock in milliseconds, wrapping (compare readings
/// with `wrapping_sub`): precise to a few milliseconds, and a few
/// nanoseconds to read.
#[cfg(target_os = "linux")]
pub(crate) fn clock() -> u32 {
    let nanos = read_clock(libc::CLOCK_MONOTONIC_COARSE)
        .or_else(|| read_clock(libc::CLOCK_MONOTONIC))
        .unwrap_or(0);
    (nanos / 1_000_000) as u32
}

#[cfg(target_os = "linux")]
fn read_clock(id: libc::clockid_t) -> Option<u64> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec` for the call to fill.
    #[allow(unsafe_code)]
    let read = unsafe { libc::clock_gettime(id, &mut now) } == 0;
    read.then(|| {
        u64::try_from(now.tv_sec)
            .unwrap_or(0)
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::try_from(now.tv_nsec).unwrap_or(0))
    })
}

/// Milliseconds since the first call, wrapping.
#[cfg(not(target_os = "linux"))]
pub(crate) fn clock() -> u32 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(std::time::Instant::now);
    start.elapsed().as_millis() as u32
}
