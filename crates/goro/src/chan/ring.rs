//! The buffer of a buffered channel: a bounded multi-producer
//! multi-consumer ring that needs no lock (Dmitry Vyukov's bounded queue, as
//! crossbeam-channel's `array` flavour uses it).
//!
//! A send and a receive each win one compare-and-swap, on the tail or the
//! head, and then own their slot until they publish it through the slot's
//! stamp; they never contend for the channel's lock.
//!
//! Positions: `head` and `tail` hold a lap and an index (`lap | index`); a
//! slot's stamp says what the slot waits for. A slot at position `p` is free
//! to write when its stamp is `p`, holds the value written at `p` when its
//! stamp is `p + 1`, and is free again for the next lap (`p + one_lap`) once
//! that value is read. `tail` also carries the mark bit: once it is set no
//! send can succeed (the channel is closed, or its receivers are gone), and
//! a receive that finds the ring empty knows it stays empty.
//!
//! Unlike crossbeam's, nothing here waits for another thread: a send that
//! finds its slot still being read reports the ring full, a receive that
//! finds its slot still being written reports it empty. The channel then
//! queues the operation, and the thread that was in the middle of it wakes
//! the operation when it is done (see `buffered.rs`). On a worker thread a
//! spin would be worse than a wait: the thread that must finish may be
//! preempted.
//!
//! Values of a zero-sized type need no slots: the ring then only counts
//! them, in `tail` (with the mark bit), so that a channel of `()` costs no
//! memory per unit of capacity, as Go's `chan struct{}` costs none.
//!
//! A slot's value is a bare cell (`unsafe`), owned by whoever won the
//! slot's position until the stamp hands it on. Why not a mutex per slot,
//! which would be safe and never contended: locking and unlocking it is one
//! more read-modify-write on a cache line another worker just wrote, on
//! every send and receive (`docs/decisions/ring-buffer.md`).
#![allow(unsafe_code)]

use std::mem::MaybeUninit;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};
use crate::util::padded::CachePadded;

pub(crate) struct Ring<T> {
    /// Where the next receive reads.
    head: CachePadded<AtomicUsize>,
    /// Where the next send writes, and the mark bit.
    tail: CachePadded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    cap: usize,
    /// Set in `tail` once sends must fail; a power of two above any index.
    mark: usize,
    /// The distance between the same slot's positions in two laps.
    one_lap: usize,
}

struct Slot<T> {
    stamp: AtomicUsize,
    /// Initialised exactly while the stamp says the slot holds a value
    /// (`stamp == pos + 1`) and no receive has taken its position yet, or
    /// has and is reading it.
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the ring moves values of type `T` from one thread to another
// (hence `T: Send`) and never gives out references to them; each slot's
// value is touched by one thread at a time, the one the stamp protocol
// gives it to (see `push` and `pop`), with the stamp's release and acquire
// ordering those accesses.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as for `Send`: shared `&Ring` only pushes and pops whole values.
unsafe impl<T: Send> Sync for Ring<T> {}

/// Why a send did not go into the ring.
pub(crate) enum PushError<T> {
    Full(T),
    /// The mark is set: no send can succeed any more.
    Marked(T),
}

/// Why a receive took nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PopError {
    Empty,
    /// Empty, and the mark is set: it stays empty.
    Drained,
}

impl<T> Ring<T> {
    /// Whether `T` is zero-sized: the ring counts its values in `tail`.
    const ZERO_SIZED: bool = std::mem::size_of::<T>() == 0;

    pub(crate) fn new(cap: usize) -> Ring<T> {
        assert!(cap > 0, "a ring holds at least one value");
        let one_lap = cap
            .checked_add(1)
            .and_then(usize::checked_next_power_of_two)
            .and_then(|mark| mark.checked_mul(2))
            .filter(|_| cap <= usize::MAX / 4)
            .unwrap_or_else(|| panic!("goro::chan: capacity {cap} is too large"));
        let mark = one_lap / 2;
        if Self::ZERO_SIZED {
            return Ring {
                head: CachePadded(AtomicUsize::new(0)),
                tail: CachePadded(AtomicUsize::new(0)),
                slots: Box::new([]),
                cap,
                mark,
                one_lap,
            };
        }
        // Reserved first, so that a buffer too large to allocate is one
        // clear panic rather than the allocator's abort.
        let mut slots = Vec::new();
        if slots.try_reserve_exact(cap).is_err() {
            panic!(
                "goro::chan: capacity {cap} is too large: its buffer needs more memory than can be allocated"
            );
        }
        slots.extend((0..cap).map(|i| Slot {
            stamp: AtomicUsize::new(i),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }));
        let slots = slots.into_boxed_slice();
        Ring {
            head: CachePadded(AtomicUsize::new(0)),
            tail: CachePadded(AtomicUsize::new(0)),
            slots,
            cap,
            mark,
            one_lap,
        }
    }

    /// The position after `pos`: the next index, or index 0 of the next lap.
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.mark - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    fn slot(&self, pos: usize) -> &Slot<T> {
        &self.slots[pos & (self.mark - 1)]
    }

    /// Where a slot's stamp stands against `expected`: behind it (the slot
    /// is not there yet in this lap), at it, or ahead of it (the position
    /// the caller read is stale: others have moved past it).
    fn compare(stamp: usize, expected: usize) -> std::cmp::Ordering {
        (stamp.wrapping_sub(expected) as isize).cmp(&0)
    }

    /// Sends `value` into the ring. `Full` also covers the moment in which
    /// a receive has taken the oldest value's position but not yet finished
    /// reading it: that receive, once done, wakes a waiting send (it counts
    /// as happening after this attempt). So no operation ever waits here for
    /// another thread's progress.
    pub(crate) fn push(&self, value: T) -> Result<(), PushError<T>> {
        if Self::ZERO_SIZED {
            return self.push_counted(value);
        }
        let mut tail = self.tail.load(Ordering::Relaxed);
        let mut contended = 0;
        loop {
            if tail & self.mark != 0 {
                return Err(PushError::Marked(value));
            }
            let slot = self.slot(tail);
            let stamp = slot.stamp.load(Ordering::Acquire);
            match Self::compare(stamp, tail) {
                std::cmp::Ordering::Equal => {
                    // The slot is free in this lap: claim its position.
                    match self.tail.compare_exchange_weak(
                        tail,
                        self.next(tail),
                        Ordering::SeqCst,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => {
                            // SAFETY: this thread won position `tail` while
                            // the slot's stamp was `tail`: the slot is empty
                            // (the stamp, read with acquire, shows last
                            // lap's receive has finished reading), no other
                            // send can win this position, and no receive
                            // reads it before the stamp below says
                            // `tail + 1`.
                            slot.value.with_mut(|cell| unsafe { (*cell).write(value) });
                            slot.stamp.store(tail.wrapping_add(1), Ordering::Release);
                            return Ok(());
                        }
                        Err(now) => {
                            tail = now;
                            crate::loom::backoff(&mut contended);
                        }
                    }
                }
                // Last lap's value is still here (or still being written,
                // or being read).
                std::cmp::Ordering::Less => return Err(PushError::Full(value)),
                // Sends moved the tail on; the stamp's acquire makes the
                // new tail visible.
                std::cmp::Ordering::Greater => tail = self.tail.load(Ordering::Relaxed),
            }
        }
    }

    /// Receives the oldest value. `Empty` also covers the moment in which a
    /// send has taken the position but not yet finished writing; that send,
    /// once done, wakes a waiting receive.
    pub(crate) fn pop(&self) -> Result<T, PopError> {
        if Self::ZERO_SIZED {
            return self.pop_counted();
        }
        let mut head = self.head.load(Ordering::Relaxed);
        let mut contended = 0;
        loop {
            let slot = self.slot(head);
            let stamp = slot.stamp.load(Ordering::Acquire);
            match Self::compare(stamp, head.wrapping_add(1)) {
                std::cmp::Ordering::Equal => {
                    match self.head.compare_exchange_weak(
                        head,
                        self.next(head),
                        Ordering::SeqCst,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => {
                            // SAFETY: the stamp `head + 1`, read with
                            // acquire, shows the send at `head` has written
                            // the value; this thread won position `head`, so
                            // it alone reads it, once; no send writes the
                            // slot again before the stamp below says
                            // `head + one_lap`.
                            let value = slot
                                .value
                                .with(|cell| unsafe { (*cell).assume_init_read() });
                            slot.stamp
                                .store(head.wrapping_add(self.one_lap), Ordering::Release);
                            return Ok(value);
                        }
                        Err(now) => {
                            head = now;
                            crate::loom::backoff(&mut contended);
                        }
                    }
                }
                std::cmp::Ordering::Less => {
                    // Nothing published at this position yet.
                    let tail = self.tail.load(Ordering::SeqCst);
                    return Err(if tail & self.mark != 0 && tail & !self.mark == head {
                        PopError::Drained
                    } else {
                        PopError::Empty
                    });
                }
                std::cmp::Ordering::Greater => head = self.head.load(Ordering::Relaxed),
            }
        }
    }

    /// `push` for a zero-sized `T`: one more in the count, if below `cap`.
    fn push_counted(&self, value: T) -> Result<(), PushError<T>> {
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.mark != 0 {
                return Err(PushError::Marked(value));
            }
            if tail >= self.cap {
                return Err(PushError::Full(value));
            }
            match self.tail.compare_exchange_weak(
                tail,
                tail + 1,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    // The value has no bytes: the count stands for it, and
                    // `pop_counted` gives it back.
                    std::mem::forget(value);
                    return Ok(());
                }
                Err(now) => tail = now,
            }
        }
    }

    /// `pop` for a zero-sized `T`: one less in the count, if above zero.
    fn pop_counted(&self) -> Result<T, PopError> {
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            let count = tail & !self.mark;
            if count == 0 {
                return Err(if tail & self.mark != 0 {
                    PopError::Drained
                } else {
                    PopError::Empty
                });
            }
            match self.tail.compare_exchange_weak(
                tail,
                tail - 1,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                // SAFETY: `T` is zero-sized, so reading it from a dangling,
                // aligned pointer reads no memory; the value is one that
                // `push_counted` forgot, and the count hands each out once.
                Ok(_) => return Ok(unsafe { std::ptr::NonNull::<T>::dangling().as_ptr().read() }),
                Err(now) => tail = now,
            }
        }
    }

    /// Sets the mark: every later send fails. Returns whether it was unset.
    pub(crate) fn mark(&self) -> bool {
        self.tail.fetch_or(self.mark, Ordering::SeqCst) & self.mark == 0
    }

    /// Whether `pop` would not return `Empty`: a value is published at the
    /// head, or the ring is marked and drained. The same test `pop` makes,
    /// so that an operation that registers to wait after seeing `false`
    /// agrees with the attempt it made before.
    pub(crate) fn can_pop(&self) -> bool {
        if Self::ZERO_SIZED {
            return self.tail.load(Ordering::SeqCst) != 0;
        }
        let mut head = self.head.load(Ordering::SeqCst);
        loop {
            let stamp = self.slot(head).stamp.load(Ordering::SeqCst);
            match Self::compare(stamp, head.wrapping_add(1)) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => {
                    let tail = self.tail.load(Ordering::SeqCst);
                    return tail & self.mark != 0 && tail & !self.mark == head;
                }
                std::cmp::Ordering::Greater => head = self.head.load(Ordering::SeqCst),
            }
        }
    }

    /// Whether `push` would not return `Full` (see `can_pop`).
    pub(crate) fn can_push(&self) -> bool {
        if Self::ZERO_SIZED {
            let tail = self.tail.load(Ordering::SeqCst);
            return tail & self.mark != 0 || tail < self.cap;
        }
        let mut tail = self.tail.load(Ordering::SeqCst);
        loop {
            if tail & self.mark != 0 {
                return true;
            }
            let stamp = self.slot(tail).stamp.load(Ordering::SeqCst);
            match Self::compare(stamp, tail) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => return false,
                std::cmp::Ordering::Greater => tail = self.tail.load(Ordering::SeqCst),
            }
        }
    }

    /// The number of slots.
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// How many values the ring holds (a snapshot).
    pub(crate) fn len(&self) -> usize {
        if Self::ZERO_SIZED {
            return self.tail.load(Ordering::SeqCst) & !self.mark;
        }
        loop {
            let tail = self.tail.load(Ordering::SeqCst) & !self.mark;
            let head = self.head.load(Ordering::SeqCst);
            // Only a consistent pair of positions means anything.
            if self.tail.load(Ordering::SeqCst) & !self.mark != tail {
                continue;
            }
            let (h, t) = (head & (self.mark - 1), tail & (self.mark - 1));
            return if h < t {
                t - h
            } else if h > t {
                self.cap - h + t
            } else if tail == head {
                0
            } else {
                self.cap
            };
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        if Self::ZERO_SIZED {
            while self.pop_counted().is_ok() {}
            return;
        }
        // Drop the values still in the ring: a slot at index `i` holds one
        // when its stamp is `lap | i` + 1 (no send or receive can be in
        // progress: they borrow the ring).
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot.stamp.load(Ordering::Relaxed) & (self.one_lap - 1) == i + 1 {
                // SAFETY: the stamp says a send wrote this slot and no
                // receive took it; `&mut self` rules out any other access.
                slot.value
                    .with_mut(|cell| unsafe { (*cell).assume_init_drop() });
            }
        }
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_through_many_laps_at_every_small_capacity() {
        for cap in 1..=9 {
            let ring = Ring::new(cap);
            let mut next_in = 0;
            let mut next_out = 0;
            for round in 0..50 {
                // Fill a varying amount, then drain a varying amount.
                let fill = (round * 7) % (cap + 1);
                for _ in 0..fill {
                    match ring.push(next_in) {
                        Ok(()) => next_in += 1,
                        Err(PushError::Full(v)) => {
                            assert_eq!(v, next_in);
                            assert_eq!(ring.len(), cap);
                            assert!(!ring.can_push());
                            break;
                        }
                        Err(PushError::Marked(_)) => unreachable!(),
                    }
                    assert_eq!(ring.len(), next_in - next_out);
                }
                let drain = (round * 5) % (cap + 2);
                for _ in 0..drain {
                    match ring.pop() {
                        Ok(v) => {
                            assert_eq!(v, next_out);
                            next_out += 1;
                        }
                        Err(e) => {
                            assert_eq!(e, PopError::Empty);
                            assert_eq!(next_in, next_out);
                            assert!(!ring.can_pop());
                            break;
                        }
                    }
                }
                assert_eq!(ring.len(), next_in - next_out);
                assert_eq!(ring.can_pop(), next_in != next_out);
                assert_eq!(ring.can_push(), next_in - next_out < cap);
            }
        }
    }

    #[test]
    fn the_mark_fails_sends_and_lets_receives_drain() {
        let ring = Ring::new(3);
        ring.push(1).ok().unwrap();
        ring.push(2).ok().unwrap();
        assert!(ring.mark());
        assert!(!ring.mark());
        assert!(matches!(ring.push(3), Err(PushError::Marked(3))));
        assert_eq!(ring.len(), 2);
        assert_eq!(ring.pop(), Ok(1));
        assert_eq!(ring.pop(), Ok(2));
        assert_eq!(ring.pop(), Err(PopError::Drained));
        assert_eq!(ring.len(), 0);
    }

    #[test]
    #[should_panic(expected = "is too large")]
    fn an_impossible_capacity_panics_with_a_clear_message() {
        let _ = Ring::<u8>::new(usize::MAX);
    }

    #[test]
    fn values_left_in_the_ring_are_dropped_with_it() {
        let value = std::sync::Arc::new(());
        let ring = Ring::new(4);
        for _ in 0..3 {
            ring.push(std::sync::Arc::clone(&value)).ok().unwrap();
        }
        drop(ring.pop());
        assert_eq!(std::sync::Arc::strong_count(&value), 3);
        drop(ring);
        assert_eq!(std::sync::Arc::strong_count(&value), 1);
    }

    #[test]
    fn zero_sized_values_are_counted_without_slots() {
        struct Token;
        static DROPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        impl Drop for Token {
            fn drop(&mut self) {
                DROPPED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let ring = Ring::new(usize::MAX / 8);
        assert!(ring.slots.is_empty());
        for _ in 0..5 {
            ring.push(Token).ok().unwrap();
        }
        assert_eq!(ring.len(), 5);
        assert!(ring.can_pop() && ring.can_push());
        drop(ring.pop().unwrap());
        assert_eq!(DROPPED.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(ring.mark());
        assert!(matches!(ring.push(Token), Err(PushError::Marked(_))));
        assert_eq!(DROPPED.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert!(ring.pop().is_ok());
        // Three left: dropped with the ring.
        drop(ring);
        assert_eq!(DROPPED.load(std::sync::atomic::Ordering::SeqCst), 6);

        let full = Ring::new(2);
        full.push(()).ok().unwrap();
        full.push(()).ok().unwrap();
        assert!(matches!(full.push(()), Err(PushError::Full(()))));
        assert!(!full.can_push());
        assert_eq!(full.pop(), Ok(()));
        assert_eq!(full.pop(), Ok(()));
        assert_eq!(full.pop(), Err(PopError::Empty));
        assert!(!full.can_pop());
        full.mark();
        assert!(full.can_pop());
        assert_eq!(full.pop(), Err(PopError::Drained));
    }

    #[test]
    fn two_threads_each_value_once_in_order_per_sender() {
        let ring = std::sync::Arc::new(Ring::new(8));
        const N: u64 = 200_000;
        let senders: Vec<_> = (0..2u64)
            .map(|s| {
                let ring = std::sync::Arc::clone(&ring);
                std::thread::spawn(move || {
                    for i in 0..N {
                        let mut v = (s << 32) | i;
                        loop {
                            match ring.push(v) {
                                Ok(()) => break,
                                Err(PushError::Full(back)) => {
                                    v = back;
                                    std::thread::yield_now();
                                }
                                Err(PushError::Marked(_)) => unreachable!(),
                            }
                        }
                    }
                })
            })
            .collect();
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let ring = std::sync::Arc::clone(&ring);
                std::thread::spawn(move || {
                    let mut last = [None::<u64>; 2];
                    let mut got = Vec::new();
                    loop {
                        match ring.pop() {
                            Ok(v) => {
                                let (s, i) = ((v >> 32) as usize, v & 0xffff_ffff);
                                assert!(last[s].is_none_or(|l| l < i), "reordered");
                                last[s] = Some(i);
                                got.push(v);
                            }
                            Err(PopError::Drained) => return got,
                            Err(PopError::Empty) => std::thread::yield_now(),
                        }
                    }
                })
            })
            .collect();
        for s in senders {
            s.join().unwrap();
        }
        ring.mark();
        let mut all: Vec<u64> = receivers
            .into_iter()
            .flat_map(|r| r.join().unwrap())
            .collect();
        all.sort_unstable();
        let want: Vec<u64> = (0..2u64)
            .flat_map(|s| (0..N).map(move |i| (s << 32) | i))
            .collect();
        assert_eq!(all, want);
    }
}
