//! Go's own channel and select tests, ported to goro.
//!
//! The sources are `test/chan/*.go`, `test/closedchan.go` and the channel
//! cases of `src/runtime/chan_test.go` in <https://github.com/golang/go>
//! (Copyright 2009 The Go Authors; BSD-style license,
//! <https://go.dev/LICENSE>). The layout follows crossbeam-channel's
//! `tests/golang.rs`: one module per Go file, each test naming in its doc
//! comment the Go test it mirrors.
//!
//! What every port changes, on purpose:
//! - Each test is the main goroutine of its own runtime built with
//!   `Panic::Isolate`, so a failed assertion fails that test alone, and a
//!   60 s limit turns a hang into a failure (the limit is never part of
//!   what is tested).
//! - Where Go panics inside a goroutine on a wrong value, the goroutine here
//!   returns what it saw and the test, awaiting its `JoinHandle`, checks it.
//! - Where Go sleeps "to let things happen", the ports wait for an event (a
//!   channel, a `WaitGroup`, a goroutine's end), or poll a future by hand to
//!   put waiters in a known order. What no scheduling can change ("this
//!   receive is still blocked") is checked after yielding many times: such
//!   a check can miss a bug, but never fails a correct goro.
//! - Go's large iteration counts are scaled down (each test says by how
//!   much), so that the file runs in a few seconds in a debug build on two
//!   cores.
//!
//! Where goro differs from Go by design, the tests say so where it shows:
//! - A send on a closed channel returns the value in `Err` (Go panics).
//! - Closing a closed channel returns `false` (Go panics).
//! - Dropping every `Sender` closes the channel, so a channel that a test
//!   means to stay open, unused (Go's `make(chan int)` that nobody sends
//!   on), keeps a `Sender` alive; likewise a send fails once every
//!   `Receiver` is gone.
//! - There are no nil channels. Where Go selects on a nil channel (a branch
//!   that can never proceed), a channel that nobody else holds stands in:
//!   see [`NilChan`].
//! - `select!` needs at least one operation: Go's `select {}` and
//!   `select { default: }` have no counterpart (they are compile errors).
//! - `Receiver::close` exists: Go rejects `close` of a receive-only channel.
//!
//! Not ported, and why:
//! - `test/chan/perm.go`, the lines Go rejects: a send on a receive-only
//!   channel, a receive on a send-only one and so on are compile errors in
//!   goro too (`Sender` has no receive, `Receiver` no send); a run-time test
//!   cannot show that (compile-fail tests belong in `tests/ui`). The lines
//!   that compile are ported.
//! - `test/chan/powser2.go`: powser1 again with `interface{}` items; it
//!   adds nothing about channels.
//! - `test/chan/sieve.go`: the pre-Go 1 form of sieve1, built, never run.
//! - `test/chan/sendstmt.go`, `sendprec`: a Go parsing case (`c <- false ||
//!   true`).
//! - `test/chan/select3.go`: `select {}`, `select { default: }` (see above)
//!   and nil-channel sends and receives outside a select (no nil channels;
//!   the stand-in's blocking is tested instead).
//! - `test/chan/select5.go`: its Go-only receive forms (`*f(&x) = <-c`,
//!   interface and map assignment), since a Rust branch binds a pattern;
//!   the plain `x = <-c` path; and the `nonblock` selects with `default`
//!   alone.
//! - `test/closedchan.go`: `close` of a nil channel.
//! - `src/runtime/chan_test.go`: `TestShrinkStackDuringBlockedSend`,
//!   `TestNoShrinkStackWhileParking` and `TestSelectStackAdjust` test Go's
//!   stack shrinking by the garbage collector under a blocked channel
//!   operation, which has no counterpart (a future's state does not move);
//!   the benchmarks are not tests (goro's own are in `benches/`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::StreamExt;
use goro::chan::{Receiver, Sender, TryRecvError, TrySendError};
use goro::sync::WaitGroup;
use goro::JoinHandle;

// ---------------------------------------------------------------------------
// The harness.

/// How long a test may run before it counts as hung. Generous: it only turns
/// a hang into a failure.
const HANG: Duration = Duration::from_secs(60);

/// Runs `main` as the main goroutine of a new runtime, one worker per core.
fn run<F>(main: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    run_with(goro::Builder::new(), main);
}

/// [`run`] on `n` worker threads: Go's `runtime.GOMAXPROCS(n)`.
fn run_on<F>(n: usize, main: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    run_with(goro::Builder::new().worker_threads(n), main);
}

fn run_with<F>(builder: goro::Builder, main: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    builder.panic(goro::Panic::Isolate).run(async move {
        if tokio::time::timeout(HANG, main).await.is_err() {
            panic!("hung: the test did not finish within {HANG:?}");
        }
    });
}

/// The goroutine's result; fails the test if it panicked.
async fn join<T>(handle: JoinHandle<T>) -> T {
    match handle.await {
        Ok(value) => value,
        Err(e) => panic!("{e}"),
    }
}

/// Gives the other goroutines many chances to run. Used only before
/// checking that something has *not* happened, which no scheduling of a
/// correct goro can change.
async fn let_others_run() {
    for _ in 0..50 {
        goro::gosched().await;
    }
}

/// Polls `fut` once, with the calling goroutine's waker.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

/// Go's nil channel, which goro does not have: an operation on it never
/// proceeds. Two channels stand in, one to send on and one to receive
/// from, each of whose other end this value keeps and never uses: `tx`
/// has a receiver (so a send does not fail) that never receives, `rx` a
/// sender (so the channel does not close) that never sends.
struct NilChan<T> {
    tx: Sender<T>,
    rx: Receiver<T>,
    _unused: (Receiver<T>, Sender<T>),
}

impl<T> NilChan<T> {
    fn new() -> NilChan<T> {
        let (tx, unused_rx) = goro::chan(0);
        let (unused_tx, rx) = goro::chan(0);
        NilChan {
            tx,
            rx,
            _unused: (unused_rx, unused_tx),
        }
    }
}

/// Calls `$cb!([$pre] [$chosen $tail])` once for every subset `$chosen` of
/// the brace-delimited branches in the third list, keeping their order:
/// Go's select5.go generator, as a macro.
macro_rules! for_each_subset {
    ($cb:ident [$($pre:tt)*] [$($chosen:tt)*] [] [$($tail:tt)*]) => {
        $cb!([$($pre)*] [$($chosen)* $($tail)*])
    };
    ($cb:ident [$($pre:tt)*] [$($chosen:tt)*] [{$($first:tt)*} $($rest:tt)*] [$($tail:tt)*]) => {
        for_each_subset!($cb [$($pre)*] [$($chosen)* $($first)*] [$($rest)*] [$($tail)*]);
        for_each_subset!($cb [$($pre)*] [$($chosen)*] [$($rest)*] [$($tail)*]);
    };
}

// ---------------------------------------------------------------------------
// A counting allocator, for select2.go: it counts the bytes allocated, less
// those freed, on threads that asked to be counted.

struct CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Bytes allocated on counted threads, less bytes freed on them.
static LIVE: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: every call goes to `System` unchanged; the counting around it
// touches only an atomic and a const-initialised thread-local `Cell<bool>`,
// neither of which allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, which `System` shares.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() && counted() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through `alloc` above)
        // with `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) };
        if counted() {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
    }
}

// ---------------------------------------------------------------------------
// test/chan

mod doubleselect {
    use super::*;

    /// Go runs 100 000 iterations; 30 000 here.
    const ITERATIONS: i32 = 30_000;

    async fn sender(n: i32, c1: Sender<i32>, c2: Sender<i32>, c3: Sender<i32>, c4: Sender<i32>) {
        for i in 0..n {
            goro::select! {
                r = c1.send(i) => r.unwrap(),
                r = c2.send(i) => r.unwrap(),
                r = c3.send(i) => r.unwrap(),
                r = c4.send(i) => r.unwrap(),
            }
        }
        for c in [&c1, &c2, &c3, &c4] {
            assert!(c.close());
        }
    }

    async fn mux(out: Sender<i32>, inp: Receiver<i32>, done: Sender<bool>) {
        while let Some(v) = inp.recv().await {
            out.send(v).await.unwrap();
        }
        done.send(true).await.unwrap();
    }

    /// Every value received, each checked to be new.
    async fn recver(inp: Receiver<i32>) -> HashSet<i32> {
        let mut seen = HashSet::new();
        while let Some(v) = inp.recv().await {
            assert!(seen.insert(v), "got duplicate value: {v}");
        }
        seen
    }

    /// Go's test/chan/doubleselect.go: a select over four unbuffered sends
    /// commits exactly one per iteration (if two committed, a value would
    /// arrive twice). Go only checks for duplicates; this also checks that
    /// every value arrives. Go's `defer close(c)` is the sender's `close()`
    /// here; in goro, dropping the senders would close the channels as well.
    #[test]
    fn main() {
        run_on(2, async {
            let (c1_tx, c1_rx) = goro::chan(0);
            let (c2_tx, c2_rx) = goro::chan(0);
            let (c3_tx, c3_rx) = goro::chan(0);
            let (c4_tx, c4_rx) = goro::chan(0);
            let (done_tx, done_rx) = goro::chan(0);
            let (cmux_tx, cmux_rx) = goro::chan(0);
            let mut goroutines = vec![goro::go!(sender(ITERATIONS, c1_tx, c2_tx, c3_tx, c4_tx))];
            for c in [c1_rx, c2_rx, c3_rx, c4_rx] {
                goroutines.push(goro::go!(mux(cmux_tx.clone(), c, done_tx.clone())));
            }
            goroutines.push(goro::go!(async move {
                for _ in 0..4 {
                    done_rx.recv().await.unwrap();
                }
                assert!(cmux_tx.close());
            }));
            let seen = recver(cmux_rx).await;
            assert_eq!(seen, (0..ITERATIONS).collect::<HashSet<_>>());
            for g in goroutines {
                join(g).await;
            }
        });
    }
}

mod fifo {
    use super::*;

    const N: i32 = 10;

    /// Go's test/chan/fifo.go, `AsynchFifo`: a buffered channel is first in,
    /// first out.
    #[test]
    fn asynch_fifo() {
        run(async {
            let (tx, rx) = goro::chan(N as usize);
            for i in 0..N {
                tx.send(i).await.unwrap();
            }
            for i in 0..N {
                assert_eq!(rx.recv().await, Some(i), "bad receive");
            }
        });
    }

    /// One link: waits for its turn on `inp`, receives one value from `ch`
    /// and lets the next link go. Go's `Chain` panics on a wrong value;
    /// this returns the value for the test to check.
    async fn chain(ch: Receiver<i32>, inp: Receiver<i32>, out: Sender<i32>) -> Option<i32> {
        inp.recv().await.unwrap();
        let v = ch.recv().await;
        out.send(1).await.unwrap();
        v
    }

    /// Go's test/chan/fifo.go, `SynchFifo`: a daisy chain of goroutines,
    /// each let through by the one before, receives 0, 1, 2, ... in order
    /// from one unbuffered channel.
    #[test]
    fn synch_fifo() {
        run(async {
            let (ch_tx, ch_rx) = goro::chan(0);
            let (start, mut inp) = goro::chan(0);
            let mut links = Vec::new();
            for _ in 0..N {
                let (out_tx, out_rx) = goro::chan(0);
                links.push(goro::go!(chain(ch_rx.clone(), inp, out_tx)));
                inp = out_rx;
            }
            start.send(0).await.unwrap();
            for i in 0..N {
                ch_tx.send(i).await.unwrap();
            }
            assert_eq!(inp.recv().await, Some(1));
            for (i, link) in (0..N).zip(links) {
                assert_eq!(join(link).await, Some(i));
            }
        });
    }
}

mod goroutines {
    use super::*;

    async fn f(left: Sender<i32>, right: Receiver<i32>) {
        let v = right.recv().await.unwrap();
        left.send(v).await.unwrap();
    }

    /// Go's test/chan/goroutines.go: 10 000 goroutines (Go's count)
    /// threaded together by unbuffered channels pass a value from the
    /// right end to the left, and all of them end.
    #[test]
    fn main() {
        const N: usize = 10_000;
        run(async {
            let (leftmost_tx, leftmost_rx) = goro::chan(0);
            let mut left = leftmost_tx;
            let mut goroutines = Vec::with_capacity(N);
            for _ in 0..N {
                let (right_tx, right_rx) = goro::chan(0);
                goroutines.push(goro::go!(f(left, right_rx)));
                left = right_tx;
            }
            goro::go!(async move { left.send(1).await.unwrap() });
            assert_eq!(leftmost_rx.recv().await, Some(1));
            for g in goroutines {
                join(g).await;
            }
        });
    }
}

mod nonblock {
    use super::*;

    /// One type and buffer size of Go's test: a receiver, then a sender,
    /// each met by a non-blocking operation retried until it proceeds.
    async fn case<T>(buffer: usize, to_receiver: T, from_sender: T)
    where
        T: Clone + PartialEq + Debug + Send + Sync + 'static,
    {
        let (c_tx, c_rx) = goro::chan::<T>(buffer);
        let (sync_tx, sync_rx) = goro::chan::<bool>(0);

        // A non-blocking receive from an empty channel takes the default.
        goro::select! {
            v = c_rx.recv() => panic!("blocked sender: received {v:?}"),
            default => {}
        }

        let (rx, strobe) = (c_rx.clone(), sync_tx.clone());
        let receiver = goro::go!(async move {
            let v = rx.recv().await;
            strobe.send(true).await.unwrap();
            v
        });
        loop {
            let sent = goro::select! {
                r = c_tx.send(to_receiver.clone()) => { r.unwrap(); true }
                default => false,
            };
            if sent {
                break;
            }
            goro::gosched().await;
        }
        sync_rx.recv().await.unwrap();
        assert_eq!(
            join(receiver).await,
            Some(to_receiver),
            "receiver, buffer={buffer}"
        );

        let (tx, strobe, v) = (c_tx.clone(), sync_tx.clone(), from_sender.clone());
        let sender = goro::go!(async move {
            tx.send(v).await.unwrap();
            strobe.send(true).await.unwrap();
        });
        if buffer > 0 {
            sync_rx.recv().await.unwrap();
        }
        let got = loop {
            let got = goro::select! {
                v = c_rx.recv() => Some(v),
                default => None,
            };
            if let Some(got) = got {
                break got;
            }
            goro::gosched().await;
        };
        assert_eq!(got, Some(from_sender), "sender, buffer={buffer}");
        if buffer == 0 {
            sync_rx.recv().await.unwrap();
        }
        join(sender).await;
    }

    /// Go's test/chan/nonblock.go: non-blocking sends and receives (a select
    /// with `default`) on unbuffered and one-slot channels of four element
    /// types. Go retries a non-blocking operation at most 10 000 times, 10 µs
    /// apart, before failing; here the retries yield and go on until the
    /// harness's hang limit, so that a slow machine cannot fail the test.
    #[test]
    fn main() {
        run(async {
            for buffer in 0..2 {
                case::<i32>(buffer, 123, 234).await;
                case::<i64>(buffer, 123_456, 234_567).await;
                case(buffer, true, true).await;
                case(buffer, "hello".to_string(), "hello again".to_string()).await;
            }
        });
    }
}

mod perm {
    use super::*;

    /// Go's test/chan/perm.go, the lines that compile. Go's bidirectional
    /// `chan int` converts to a send-only `chan<- int` and a receive-only
    /// `<-chan int`; goro hands out those two views from the start, as
    /// `Sender` and `Receiver`. The lines Go rejects are compile errors here
    /// too (see the top of the file). Unlike Go, which rejects `close(cr)`
    /// on a receive-only channel, goro lets a `Receiver` close its channel.
    #[test]
    fn main() {
        run(async {
            let (cs, cr) = goro::chan::<i32>(1);
            // c <- 0; <-c; x, ok := <-c
            cs.send(0).await.unwrap();
            assert_eq!(cr.recv().await, Some(0));
            cs.send(0).await.unwrap();
            let x = cr.recv().await;
            assert_eq!(x, Some(0));
            // select { case c <- 0: case x := <-c: ... }: with the buffer
            // empty only the send can proceed.
            let which = goro::select! {
                r = cs.send(0) => { r.unwrap(); "send" }
                v = cr.recv() => { assert_eq!(v, None); "receive" }
            };
            assert_eq!(which, "send");
            // close(c); close(cs): in goro the second close reports false.
            assert!(cs.close());
            assert!(!cs.close());
            // for range cr: a Receiver is a Stream.
            let rest: Vec<i32> = cr.clone().collect().await;
            assert_eq!(rest, [0]);
            // close(cr): an error in Go; here it closes (it was already).
            assert!(!cr.close());
        });
    }
}

mod powser1 {
    //! Doug McIlroy's power series, from "Squinting at Power Series": a
    //! power series is a goroutine that answers each demand on `req` with
    //! its next coefficient on `dat`.

    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Rat {
        num: i64,
        den: i64,
    }

    fn gcd(u: i64, v: i64) -> i64 {
        if u < 0 {
            return gcd(-u, v);
        }
        if u == 0 {
            return v;
        }
        gcd(v % u, u)
    }

    fn i2tor(u: i64, v: i64) -> Rat {
        let g = gcd(u, v);
        if v > 0 {
            Rat {
                num: u / g,
                den: v / g,
            }
        } else {
            Rat {
                num: -u / g,
                den: -v / g,
            }
        }
    }

    fn itor(u: i64) -> Rat {
        i2tor(u, 1)
    }

    fn zero() -> Rat {
        itor(0)
    }

    fn one() -> Rat {
        itor(1)
    }

    /// The end mark.
    fn finis() -> Rat {
        i2tor(1, 0)
    }

    fn end(u: Rat) -> i64 {
        i64::from(u.den == 0)
    }

    fn add(u: Rat, v: Rat) -> Rat {
        let g = gcd(u.den, v.den);
        i2tor(
            u.num * (v.den / g) + v.num * (u.den / g),
            u.den * (v.den / g),
        )
    }

    fn mul(u: Rat, v: Rat) -> Rat {
        let g1 = gcd(u.num, v.den);
        let g2 = gcd(u.den, v.num);
        Rat {
            num: (u.num / g1) * (v.num / g2),
            den: (u.den / g2) * (v.den / g1),
        }
    }

    fn neg(u: Rat) -> Rat {
        i2tor(-u.num, u.den)
    }

    /// A demand channel (Go's `dch`): both ends of its two channels, as a
    /// Go `chan` value is both; holding them keeps the channels open.
    struct Dch {
        req_tx: Sender<i64>,
        req_rx: Receiver<i64>,
        dat_tx: Sender<Rat>,
        dat_rx: Receiver<Rat>,
    }

    /// A power series (Go's `PS`, a `*dch`).
    type Ps = Arc<Dch>;

    /// A pair of power series (Go's `*dch2`), shared by every generation
    /// of `dosplit`, which swaps it in place.
    type Ps2 = Arc<Mutex<[Ps; 2]>>;

    fn mkdch() -> Ps {
        let (req_tx, req_rx) = goro::chan(0);
        let (dat_tx, dat_rx) = goro::chan(0);
        Arc::new(Dch {
            req_tx,
            req_rx,
            dat_tx,
            dat_rx,
        })
    }

    fn mkdch2() -> Ps2 {
        Arc::new(Mutex::new([mkdch(), mkdch()]))
    }

    /// `out[i]`, read now, as Go reads it at each use.
    fn at(out: &Ps2, i: usize) -> Ps {
        out.lock().unwrap()[i].clone()
    }

    static SEQNO: AtomicI64 = AtomicI64::new(0);

    fn next_seqno() -> i64 {
        SEQNO.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Go's `dosplit`: serves one coefficient of `inp` to both of `out`,
    /// which may be read at different rates (see powser1.go for the dance).
    fn dosplit(inp: Ps, out: Ps2, wait: Receiver<i32>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let mut both = false; // do not service both channels
            let o0 = at(&out, 0);
            goro::select! {
                v = o0.req_rx.recv() => { v.unwrap(); }
                v = wait.recv() => {
                    v.unwrap();
                    both = true;
                    let (o0, o1) = (at(&out, 0), at(&out, 1));
                    goro::select! {
                        v = o0.req_rx.recv() => { v.unwrap(); }
                        v = o1.req_rx.recv() => {
                            v.unwrap();
                            out.lock().unwrap().swap(0, 1);
                        }
                    }
                }
            }
            inp.req_tx.send(next_seqno()).await.unwrap();
            let (release_tx, release_rx) = goro::chan(0);
            goro::go!(dosplit(inp.clone(), out.clone(), release_rx));
            let dat = inp.dat_rx.recv().await.unwrap();
            at(&out, 0).dat_tx.send(dat).await.unwrap();
            if !both {
                wait.recv().await.unwrap();
            }
            let o1 = at(&out, 1);
            o1.req_rx.recv().await.unwrap();
            o1.dat_tx.send(dat).await.unwrap();
            release_tx.send(0).await.unwrap();
        })
    }

    async fn split(inp: Ps, out: Ps2) {
        let (release_tx, release_rx) = goro::chan(0);
        goro::go!(dosplit(inp, out, release_rx));
        release_tx.send(0).await.unwrap();
    }

    async fn put(dat: Rat, out: &Dch) {
        out.req_rx.recv().await.unwrap();
        out.dat_tx.send(dat).await.unwrap();
    }

    async fn get(inp: &Dch) -> Rat {
        inp.req_tx.send(next_seqno()).await.unwrap();
        inp.dat_rx.recv().await.unwrap()
    }

    /// Go's `getn` for two series: demands and receives one coefficient of
    /// each, in whatever order they come. Go switches a branch off by
    /// setting its channel to nil; here `nil` stands in.
    async fn get2(u: &Ps, v: &Ps) -> [Rat; 2] {
        let nil = mkdch();
        let inp = [u, v];
        let mut req = [true, true]; // a demand is still to be sent
        let mut dat = [false, false]; // a coefficient is awaited
        let mut out = [zero(); 2];
        for _ in 0..4 {
            let seqno = next_seqno();
            let pick = |on: bool, i: usize| if on { inp[i] } else { &nil };
            let (r0, r1) = (pick(req[0], 0), pick(req[1], 1));
            let (d0, d1) = (pick(dat[0], 0), pick(dat[1], 1));
            goro::select! {
                r = r0.req_tx.send(seqno) => {
                    r.unwrap();
                    dat[0] = true;
                    req[0] = false;
                }
                r = r1.req_tx.send(seqno) => {
                    r.unwrap();
                    dat[1] = true;
                    req[1] = false;
                }
                it = d0.dat_rx.recv() => {
                    out[0] = it.unwrap();
                    dat[0] = false;
                }
                it = d1.dat_rx.recv() => {
                    out[1] = it.unwrap();
                    dat[1] = false;
                }
            }
        }
        out
    }

    async fn copy(inp: &Dch, out: &Dch) {
        loop {
            out.req_rx.recv().await.unwrap();
            let v = get(inp).await;
            out.dat_tx.send(v).await.unwrap();
        }
    }

    async fn repeat(dat: Rat, out: Ps) {
        loop {
            put(dat, &out).await;
        }
    }

    /// Go's `Split`.
    fn split_ps(u: Ps) -> Ps2 {
        let uu = mkdch2();
        goro::go!(split(u, uu.clone()));
        uu
    }

    /// Go's `Add`.
    fn add_ps(u: Ps, v: Ps) -> Ps {
        let z = mkdch();
        let zz = z.clone();
        goro::go!(async move {
            loop {
                zz.req_rx.recv().await.unwrap();
                let uv = get2(&u, &v).await;
                match end(uv[0]) + 2 * end(uv[1]) {
                    0 => zz.dat_tx.send(add(uv[0], uv[1])).await.unwrap(),
                    1 => {
                        zz.dat_tx.send(uv[1]).await.unwrap();
                        copy(&v, &zz).await;
                    }
                    2 => {
                        zz.dat_tx.send(uv[0]).await.unwrap();
                        copy(&u, &zz).await;
                    }
                    _ => zz.dat_tx.send(finis()).await.unwrap(),
                }
            }
        });
        z
    }

    /// Go's `Cmul`: multiply by a constant.
    fn cmul(c: Rat, u: Ps) -> Ps {
        let z = mkdch();
        let zz = z.clone();
        goro::go!(async move {
            let mut done = false;
            while !done {
                zz.req_rx.recv().await.unwrap();
                let u = get(&u).await;
                if end(u) != 0 {
                    done = true;
                } else {
                    zz.dat_tx.send(mul(c, u)).await.unwrap();
                }
            }
            zz.dat_tx.send(finis()).await.unwrap();
        });
        z
    }

    /// Go's `Sub`.
    fn sub_ps(u: Ps, v: Ps) -> Ps {
        add_ps(u, cmul(neg(one()), v))
    }

    /// Go's `Rep`: the constant series c c c ...
    fn rep(c: Rat) -> Ps {
        let z = mkdch();
        goro::go!(repeat(c, z.clone()));
        z
    }

    /// Go's `Mul`: with U = u + x*UU and V = v + x*VV,
    /// UV = u*v + x*(u*VV + v*UU) + x*x*UU*VV.
    fn mul_ps(u: Ps, v: Ps) -> Ps {
        let z = mkdch();
        let zz = z.clone();
        goro::go!(async move {
            zz.req_rx.recv().await.unwrap();
            let uv = get2(&u, &v).await;
            if end(uv[0]) != 0 || end(uv[1]) != 0 {
                zz.dat_tx.send(finis()).await.unwrap();
            } else {
                zz.dat_tx.send(mul(uv[0], uv[1])).await.unwrap();
                let uu = split_ps(u);
                let vv = split_ps(v);
                let w = add_ps(cmul(uv[0], at(&vv, 0)), cmul(uv[1], at(&uu, 0)));
                zz.req_rx.recv().await.unwrap();
                zz.dat_tx.send(get(&w).await).await.unwrap();
                copy(&add_ps(w, mul_ps(at(&uu, 1), at(&vv, 1))), &zz).await;
            }
        });
        z
    }

    /// Go's `Diff`: differentiate.
    fn diff(u: Ps) -> Ps {
        let z = mkdch();
        let zz = z.clone();
        goro::go!(async move {
            zz.req_rx.recv().await.unwrap();
            let first = get(&u).await;
            if end(first) == 0 {
                let mut i = 1;
                loop {
                    let u = get(&u).await;
                    if end(u) != 0 {
                        break;
                    }
                    zz.dat_tx.send(mul(itor(i), u)).await.unwrap();
                    zz.req_rx.recv().await.unwrap();
                    i += 1;
                }
            }
            zz.dat_tx.send(finis()).await.unwrap();
        });
        z
    }

    /// Go's `Integ`: integrate, with `c` the constant of integration.
    fn integ(c: Rat, u: Ps) -> Ps {
        let z = mkdch();
        let zz = z.clone();
        goro::go!(async move {
            put(c, &zz).await;
            let mut done = false;
            let mut i = 1;
            while !done {
                zz.req_rx.recv().await.unwrap();
                let u = get(&u).await;
                if end(u) != 0 {
                    done = true;
                }
                zz.dat_tx.send(mul(i2tor(1, i), u)).await.unwrap();
                i += 1;
            }
            zz.dat_tx.send(finis()).await.unwrap();
        });
        z
    }

    /// Go's `Exp`, of a series with constant term 0: Z = exp(U) solves
    /// DZ = Z*DU; integrate to get Z, fed back through a split.
    async fn exp(u: Ps) -> Ps {
        let zz = mkdch2();
        split(integ(one(), mul_ps(at(&zz, 0), diff(u))), zz.clone()).await;
        at(&zz, 1)
    }

    /// Go's `MonSubst`: U(c0 x^n).
    fn mon_subst(u: Ps, c0: Rat, n: usize) -> Ps {
        let z = mkdch();
        let zz = z.clone();
        goro::go!(async move {
            let mut c = one();
            loop {
                zz.req_rx.recv().await.unwrap();
                let u = get(&u).await;
                zz.dat_tx.send(mul(u, c)).await.unwrap();
                c = mul(c, c0);
                if end(u) != 0 {
                    zz.dat_tx.send(finis()).await.unwrap();
                    break;
                }
                for _ in 1..n {
                    zz.req_rx.recv().await.unwrap();
                    zz.dat_tx.send(zero()).await.unwrap();
                }
            }
        });
        z
    }

    async fn check(u: &Ps, c: Rat, count: usize, what: &str) {
        for i in 0..count {
            assert_eq!(get(u).await, c, "{what}: term {i}");
        }
    }

    const N: usize = 10;

    async fn checka(u: &Ps, a: &[Rat; N], what: &str) {
        for (i, &c) in a.iter().enumerate() {
            assert_eq!(get(u).await, c, "{what}: term {i}");
        }
    }

    /// Go's test/chan/powser1.go: power series as networks of goroutines
    /// over unbuffered demand channels, selects with nil (here: stand-in)
    /// branches, and a self-referential split for `Exp`. Go checks the sums
    /// `Add(Ones, Ones)`, `Add(Ones, Twos)` and `Sub(Ones, Twos)` for 0
    /// terms, which checks nothing; here for 10. The series' goroutines
    /// never end: they are abandoned with the runtime, as Go's are at exit.
    #[test]
    fn main() {
        run(async {
            let ones = rep(one());
            let twos = rep(itor(2));
            check(&ones, one(), 5, "Ones").await;
            check(
                &add_ps(ones.clone(), ones.clone()),
                itor(2),
                10,
                "Add Ones Ones",
            )
            .await;
            check(
                &add_ps(ones.clone(), twos.clone()),
                itor(3),
                10,
                "Add Ones Twos",
            )
            .await;

            let mut a = [zero(); N];
            let d = diff(ones.clone());
            for (i, a) in (1..).zip(a.iter_mut()) {
                *a = itor(i);
            }
            checka(&d, &a, "Diff").await; // 1 2 3 4 5

            let integral = integ(zero(), ones.clone());
            a[0] = zero(); // the constant of integration
            for (i, a) in (1..).zip(a.iter_mut().skip(1)) {
                *a = i2tor(1, i);
            }
            checka(&integral, &a, "Integ").await; // 0 1 1/2 1/3 1/4 1/5

            check(&cmul(neg(one()), twos.clone()), itor(-2), 10, "CMul").await;
            check(
                &sub_ps(ones.clone(), twos.clone()),
                itor(-1),
                10,
                "Sub Ones Twos",
            )
            .await;

            let m = mul_ps(ones.clone(), ones.clone());
            for (i, a) in (1..).zip(a.iter_mut()) {
                *a = itor(i);
            }
            checka(&m, &a, "Mul").await; // 1 2 3 4 5

            let e = exp(ones.clone()).await;
            let a = [
                itor(1),
                itor(1),
                i2tor(3, 2),
                i2tor(13, 6),
                i2tor(73, 24),
                i2tor(167, 40),
                i2tor(4051, 720),
                i2tor(37633, 5040),
                i2tor(43817, 4480),
                i2tor(4596553, 362880),
            ];
            checka(&e, &a, "Exp").await; // 1 1 3/2 13/6 73/24

            let atan = integ(zero(), mon_subst(ones.clone(), neg(one()), 2));
            let mut a = [zero(); N];
            let mut c = 1;
            for (i, a) in (0..).zip(a.iter_mut()) {
                if i % 2 == 1 {
                    *a = i2tor(c, i);
                    c = -c;
                }
            }
            checka(&atan, &a, "ATan").await; // 0 -1 0 -1/3 0 -1/5
        });
    }
}

mod select {
    use super::*;

    fn get_value(counter: &mut u32, shift: u32) -> u32 {
        *counter += 1;
        1 << shift
    }

    /// Go's `Send`: sends on `a` and `b` until neither can proceed, each
    /// at most once (Go sets a channel to nil once it has sent on it).
    async fn send(
        mut a: Option<&Sender<u32>>,
        mut b: Option<&Sender<u32>>,
        counter: &mut u32,
        shift: &mut u32,
    ) -> i32 {
        let nil = NilChan::new();
        let mut i = 0;
        loop {
            let done = goro::select! {
                r = a.unwrap_or(&nil.tx).send(get_value(counter, *shift)) => {
                    r.unwrap();
                    i += 1;
                    a = None;
                    false
                }
                r = b.unwrap_or(&nil.tx).send(get_value(counter, *shift)) => {
                    r.unwrap();
                    i += 1;
                    b = None;
                    false
                }
                default => true,
            };
            if done {
                break;
            }
            *shift += 1;
        }
        i
    }

    /// Go's test/chan/select.go: every branch's value is computed once per
    /// select, before the choice (so `GetValue` runs twice per select, the
    /// `default` one included), and a select with two ready sends commits
    /// one at a time. The check of the last value sent is not in Go's test.
    #[test]
    fn main() {
        run(async {
            let (a_tx, a_rx) = goro::chan::<u32>(1);
            let (b_tx, b_rx) = goro::chan::<u32>(1);
            let (mut counter, mut shift) = (0, 0);
            let sent = send(Some(&a_tx), Some(&b_tx), &mut counter, &mut shift).await;
            assert_eq!(sent, 2);
            let (av, bv) = (a_rx.recv().await.unwrap(), b_rx.recv().await.unwrap());
            assert_eq!(av | bv, 3, "bad values {av} {bv}");
            let sent = send(Some(&a_tx), None, &mut counter, &mut shift).await;
            assert_eq!(sent, 1);
            assert_eq!(counter, 10);
            assert_eq!(a_rx.try_recv(), Ok(1 << 2));
        });
    }
}

mod select2 {
    use super::*;

    /// Go sends 100 000 values per round; 50 000 here.
    const N: usize = 50_000;

    async fn sender(c: Sender<i32>, n: usize) {
        COUNTED.with(|counted| counted.set(true));
        for _ in 0..n {
            c.send(1).await.unwrap();
        }
    }

    async fn receiver(c: &Receiver<i32>, dummy: &Receiver<i32>, n: usize) {
        for _ in 0..n {
            goro::select! {
                v = c.recv() => assert_eq!(v, Some(1)),
                _ = dummy.recv() => panic!("dummy"),
            }
        }
    }

    /// Go's test/chan/select2.go: a waiting select leaves nothing behind.
    /// After a warm-up round of selects, a second round must not grow the
    /// memory in use by more than a byte per select (Go's bound: 10^5 bytes
    /// for 10^5 selects, measured after a GC). Here a counting allocator
    /// measures the bytes allocated less those freed on the runtime's one
    /// worker thread, which runs both goroutines (other tests in this
    /// binary allocate on their own threads, which are not counted).
    #[test]
    fn main() {
        run_on(1, async {
            COUNTED.with(|counted| counted.set(true));
            let (c_tx, c_rx) = goro::chan(0);
            let (_dummy_tx, dummy_rx) = goro::chan(0);

            // warm up
            let s = goro::go!(sender(c_tx.clone(), N));
            receiver(&c_rx, &dummy_rx, N).await;
            join(s).await;
            let before = LIVE.load(Ordering::Relaxed);

            // the second time should not increase the footprint by much
            let s = goro::go!(sender(c_tx.clone(), N));
            receiver(&c_rx, &dummy_rx, N).await;
            join(s).await;
            let grown = LIVE.load(Ordering::Relaxed) - before;
            assert!(
                grown <= N as isize,
                "too much memory for {N} selects: {grown} bytes"
            );
        });
    }
}

mod select3 {
    use super::*;

    /// Checks that `fut` blocks: pending when first polled, and still
    /// pending after the other goroutines had every chance to run. Go's
    /// `testBlock` instead waits 0.1 s for it to finish.
    async fn blocks<F: Future>(what: &str, fut: F) {
        let mut fut = pin!(fut);
        for _ in 0..10 {
            assert!(
                poll_once(&mut fut.as_mut()).await.is_pending(),
                "{what}: did not block"
            );
            let_others_run().await;
        }
    }

    /// `fut`'s output, which must be ready when it is first polled.
    async fn never_blocks<F: Future>(what: &str, fut: F) -> F::Output {
        let mut fut = pin!(fut);
        match poll_once(&mut fut.as_mut()).await {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("{what}: blocked"),
        }
    }

    /// Go's test/chan/select3.go: which operations and selects block. Go's
    /// nil channel is the [`NilChan`] stand-in; a send on a closed channel,
    /// which panics in Go, returns its value in `Err` at once in goro, in
    /// a select as outside; Go's `select {}` and `select { default: }` do not
    /// exist in goro (`select!` needs an operation).
    #[test]
    fn main() {
        run(async {
            let nil = NilChan::<i32>::new();
            let (closed_tx, closed_rx) = goro::chan::<i32>(0);
            assert!(closed_tx.close());

            // sending/receiving on a nil channel blocks
            blocks("send on nil", nil.tx.send(7)).await;
            blocks("receive from nil", nil.rx.recv()).await;

            // a nil channel inside a select is never selected
            let chose = never_blocks("select: nil send, default", async {
                goro::select! {
                    _ = nil.tx.send(7) => "send",
                    default => "default",
                }
            });
            assert_eq!(chose.await, "default");
            let chose = never_blocks("select: nil receive, default", async {
                goro::select! {
                    _ = nil.rx.recv() => "receive",
                    default => "default",
                }
            });
            assert_eq!(chose.await, "default");

            // sending to a buffered channel with room never blocks
            let (tx, rx) = goro::chan(1);
            never_blocks("send with room", tx.send(7)).await.unwrap();
            assert_eq!(rx.try_recv(), Ok(7));

            // receiving from a closed channel never blocks (Go: 0, false)
            for _ in 0..10 {
                let v = never_blocks("receive from closed", closed_rx.recv()).await;
                assert_eq!(v, None);
            }

            // sending to a closed channel: Go panics; goro gives the value back
            let r = never_blocks("send on closed", closed_tx.send(7)).await;
            assert_eq!(r.unwrap_err().into_inner(), 7);

            // receiving from a channel that is not ready always blocks
            let (_keep, not_ready) = goro::chan::<i32>(0);
            blocks("receive, not ready", not_ready.recv()).await;

            // selects with only nil channels always block
            blocks("select: nil receive", async {
                goro::select! { _ = nil.rx.recv() => "receive" }
            })
            .await;
            blocks("select: nil send", async {
                goro::select! { _ = nil.tx.send(7) => "send" }
            })
            .await;
            blocks("select: nil receive, nil send", async {
                goro::select! {
                    _ = nil.rx.recv() => "receive",
                    _ = nil.tx.send(7) => "send",
                }
            })
            .await;

            // selects with channels that are not ready always block
            blocks("select: receive, not ready", async {
                goro::select! { v = not_ready.recv() => v }
            })
            .await;

            // selects with default and nil channels do not block
            let chose = never_blocks("select: nil receive, default", async {
                goro::select! {
                    _ = nil.rx.recv() => "receive",
                    default => "default",
                }
            });
            assert_eq!(chose.await, "default");

            // selects with ready channels do not block
            let (tx, rx) = goro::chan(1);
            let chose = never_blocks("select: send with room", async {
                goro::select! {
                    r = tx.send(7) => { r.unwrap(); "send" }
                    default => "default",
                }
            });
            assert_eq!(chose.await, "send");
            let got = never_blocks("select: receive, ready", async {
                goro::select! {
                    v = rx.recv() => v,
                    default => None,
                }
            });
            assert_eq!(got.await, Some(7));

            // selects with closed channels behave like ordinary operations
            let got = never_blocks("select: receive from closed", async {
                goro::select! { v = closed_rx.recv() => v }
            });
            assert_eq!(got.await, None);
            let r = never_blocks("select: send on closed", async {
                goro::select! { r = closed_tx.send(7) => r }
            });
            assert_eq!(r.await.unwrap_err().into_inner(), 7);

            // a select is not confused when it sees itself
            let (tx, rx) = goro::chan::<i32>(0);
            blocks("select: send to and receive from one channel", async {
                goro::select! {
                    r = tx.send(1) => r.is_ok(),
                    v = rx.recv() => v.is_some(),
                }
            })
            .await;
        });
    }
}

mod select4 {
    use super::*;

    /// Go's test/chan/select4.go: the branch that is not chosen runs none of
    /// its code (Go: its receive's left-hand side is not evaluated). c1's
    /// sender is kept alive, as dropping it would close c1, and a closed
    /// channel's receive is always ready.
    #[test]
    fn main() {
        run(async {
            let called = AtomicUsize::new(0);
            let f = || called.fetch_add(1, Ordering::SeqCst);
            let (c_tx, c_rx) = goro::chan::<i32>(1);
            let (_c1_tx, c1_rx) = goro::chan::<i32>(0);
            c_tx.send(42).await.unwrap();
            let x = goro::select! {
                v = c1_rx.recv() => { f(); v }
                v = c_rx.recv() => v,
            };
            assert_eq!(x, Some(42));
            assert_eq!(called.load(Ordering::SeqCst), 0, "BUG: called f");
        });
    }
}

mod select5 {
    use super::*;

    /// Go's `checkorder`: the calls must come in increasing order.
    fn checkorder(order: &AtomicI32, o: i32) {
        let before = order.swap(o, Ordering::SeqCst);
        assert!(o > before, "invalid order {o} after {before}");
    }

    fn fc<'c, C>(order: &AtomicI32, c: &'c C, o: i32) -> &'c C {
        checkorder(order, o);
        c
    }

    fn fv(order: &AtomicI32, n: i32, o: i32) -> i32 {
        checkorder(order, o);
        n
    }

    // Go's test/chan/select5.go generates one select for each combination
    // of the optional branches: `default` before or after the operation that
    // proceeds, a send to and a receive from an unbuffered channel that
    // nobody else uses (`dummy`), and a send to and a receive from a nil
    // channel (the `NilChan` stand-in here). Its "order" variants check that
    // the channel and value expressions of all branches are evaluated once,
    // in source order, before the choice, and the chosen branch's
    // assignment after; the ports below check that in every combination.
    // `for_each_subset!` enumerates the combinations.

    /// Go's test/chan/select5.go, `recv` and `recvOrder`: a buffered
    /// receive among never-ready branches, in all 48 combinations.
    #[test]
    fn recv() {
        run(async {
            let (c_tx, c_rx) = goro::chan::<i32>(1);
            let (dummy_tx, dummy_rx) = goro::chan::<i32>(0);
            let nil = NilChan::<i32>::new();
            let order = AtomicI32::new(0);
            let mut n = 1;
            let mut cases = 0;
            macro_rules! case {
                ([$($pre:tt)*] [$($post:tt)*]) => {{
                    order.store(0, Ordering::SeqCst);
                    c_tx.send(n).await.unwrap();
                    let x = goro::select! {
                        $($pre)*
                        v = fc(&order, &c_rx, 1).recv() => {
                            checkorder(&order, 100);
                            v.unwrap()
                        }
                        $($post)*
                    };
                    assert_eq!(x, n, "case {cases}");
                    n += 1;
                    cases += 1;
                }};
            }
            for_each_subset!(case [] [] [
                { _ = fc(&order, &dummy_tx, 2).send(fv(&order, 1, 3)) => panic!("dummy send"), }
                { _ = fc(&order, &dummy_rx, 4).recv() => panic!("dummy receive"), }
                { _ = fc(&order, &nil.tx, 5).send(fv(&order, 1, 6)) => panic!("nilch send"), }
                { _ = fc(&order, &nil.rx, 7).recv() => panic!("nilch recv"), }
                { default => panic!("nonblock"), }
            ] []);
            for_each_subset!(case [default => panic!("nonblock"),] [] [
                { _ = fc(&order, &dummy_tx, 2).send(fv(&order, 1, 3)) => panic!("dummy send"), }
                { _ = fc(&order, &dummy_rx, 4).recv() => panic!("dummy receive"), }
                { _ = fc(&order, &nil.tx, 5).send(fv(&order, 1, 6)) => panic!("nilch send"), }
                { _ = fc(&order, &nil.rx, 7).recv() => panic!("nilch recv"), }
            ] []);
            assert_eq!((cases, n), (48, 49));
        });
    }

    /// Go's test/chan/select5.go, `send` and `sendOrder`: a buffered send
    /// among never-ready branches, in all 48 combinations.
    #[test]
    fn send() {
        run(async {
            let (c_tx, c_rx) = goro::chan::<i32>(1);
            let (dummy_tx, dummy_rx) = goro::chan::<i32>(0);
            let nil = NilChan::<i32>::new();
            let order = AtomicI32::new(0);
            let mut n = 1;
            let mut cases = 0;
            macro_rules! case {
                ([$($pre:tt)*] [$($post:tt)*]) => {{
                    order.store(0, Ordering::SeqCst);
                    goro::select! {
                        $($pre)*
                        r = fc(&order, &c_tx, 1).send(fv(&order, n, 2)) => {
                            checkorder(&order, 100);
                            r.unwrap()
                        }
                        $($post)*
                    }
                    assert_eq!(c_rx.recv().await, Some(n), "case {cases}");
                    n += 1;
                    cases += 1;
                }};
            }
            for_each_subset!(case [] [] [
                { _ = fc(&order, &dummy_tx, 3).send(fv(&order, 1, 4)) => panic!("dummy send"), }
                { _ = fc(&order, &dummy_rx, 5).recv() => panic!("dummy receive"), }
                { _ = fc(&order, &nil.tx, 6).send(fv(&order, 1, 7)) => panic!("nilch send"), }
                { _ = fc(&order, &nil.rx, 8).recv() => panic!("nilch recv"), }
                { default => panic!("nonblock"), }
            ] []);
            for_each_subset!(case [default => panic!("nonblock"),] [] [
                { _ = fc(&order, &dummy_tx, 3).send(fv(&order, 1, 4)) => panic!("dummy send"), }
                { _ = fc(&order, &dummy_rx, 5).recv() => panic!("dummy receive"), }
                { _ = fc(&order, &nil.tx, 6).send(fv(&order, 1, 7)) => panic!("nilch send"), }
                { _ = fc(&order, &nil.rx, 8).recv() => panic!("nilch recv"), }
            ] []);
            assert_eq!((cases, n), (48, 49));
        });
    }

    /// Go's test/chan/select5.go, `nonblock`: when no branch can proceed,
    /// `default` runs and no branch's code does, in the 30 combinations
    /// that have an operation.
    #[test]
    fn nonblock() {
        run(async {
            let (dummy_tx, dummy_rx) = goro::chan::<i32>(0);
            let nil = NilChan::<i32>::new();
            let mut cases = 0;
            macro_rules! case {
                // Go's `select { default: }`, with no operation: goro's
                // select! needs one, so these two combinations are left out.
                ([default => "default",] []) => {};
                ([] [default => "default",]) => {};
                ([$($pre:tt)*] [$($post:tt)*]) => {{
                    let x = goro::select! { $($pre)* $($post)* };
                    assert_eq!(x, "default", "case {cases}");
                    cases += 1;
                }};
            }
            for_each_subset!(case [default => "default",] [] [
                { _ = dummy_tx.send(1) => panic!("dummy <- 1"), }
                { _ = nil.tx.send(1) => panic!("nilch <- 1"), }
                { _ = dummy_rx.recv() => panic!("<-dummy"), }
                { _ = nil.rx.recv() => panic!("<-nilch"), }
            ] []);
            for_each_subset!(case [] [] [
                { _ = dummy_tx.send(1) => panic!("dummy <- 1"), }
                { _ = nil.tx.send(1) => panic!("nilch <- 1"), }
                { _ = dummy_rx.recv() => panic!("<-dummy"), }
                { _ = nil.rx.recv() => panic!("<-nilch"), }
            ] [default => "default",]);
            assert_eq!(cases, 30);
        });
    }
}

mod select6 {
    use super::*;

    /// Go's test/chan/select6.go (Go issue 2075): a select that loses on a
    /// channel with several waiters must leave that channel's queue intact,
    /// so that later waiters on it still wake up.
    #[test]
    fn main() {
        run(async {
            let (c1_tx, c1_rx) = goro::chan::<bool>(0);
            let (c2_tx, c2_rx) = goro::chan::<bool>(0);
            let (c3_tx, c3_rx) = goro::chan::<bool>(0);
            let rx = c1_rx.clone();
            let g1 = goro::go!(async move { rx.recv().await });
            let g2 = goro::go!(async move {
                goro::select! {
                    _ = c1_rx.recv() => panic!("dummy"),
                    _ = c2_rx.recv() => c3_tx.send(true).await.unwrap(),
                }
                c1_rx.recv().await
            });
            let g3 = goro::go!(async move { c2_tx.send(true).await.unwrap() });
            assert_eq!(c3_rx.recv().await, Some(true));
            c1_tx.send(true).await.unwrap();
            c1_tx.send(true).await.unwrap();
            assert_eq!(join(g1).await, Some(true));
            assert_eq!(join(g2).await, Some(true));
            join(g3).await;
        });
    }
}

mod select7 {
    use super::*;

    #[derive(Clone, Copy, Debug)]
    enum Recv {
        /// `<-c`
        Plain,
        /// `select { case <-c: }`
        Select,
        /// `select { case <-c: case <-c2: }`
        SelectTwo,
    }

    async fn receive(how: Recv, c: Receiver<i32>) -> Option<i32> {
        match how {
            Recv::Plain => c.recv().await,
            Recv::Select => goro::select! { v = c.recv() => v },
            Recv::SelectTwo => {
                // Keep c2's sender: with it gone c2 would be closed, and
                // its receive ready (with None).
                let (_c2_tx, c2_rx) = goro::chan::<i32>(0);
                goro::select! {
                    v = c.recv() => v,
                    v = c2_rx.recv() => v,
                }
            }
        }
    }

    /// Go's test/chan/select7.go: each way to send (`c <- 1`, a one-branch
    /// select, a two-branch one) meets each way to receive. Go only checks
    /// that nothing hangs or crashes; here the receiver must get the 1.
    #[test]
    fn main() {
        run(async {
            for how in [Recv::Plain, Recv::Select, Recv::SelectTwo] {
                for send in 1..=3 {
                    let (c_tx, c_rx) = goro::chan::<i32>(0);
                    let receiver = goro::go!(receive(how, c_rx));
                    goro::gosched().await;
                    match send {
                        1 => c_tx.send(1).await.unwrap(),
                        2 => goro::select! { r = c_tx.send(1) => r.unwrap() },
                        _ => {
                            // Keep c2's receiver: with it gone a send on c2
                            // would fail at once.
                            let (c2_tx, _c2_rx) = goro::chan::<i32>(0);
                            goro::select! {
                                r = c_tx.send(1) => r.unwrap(),
                                _ = c2_tx.send(1) => panic!("sent on c2"),
                            }
                        }
                    }
                    assert_eq!(join(receiver).await, Some(1), "send{send}(recv {how:?})");
                }
            }
        });
    }
}

mod select8 {
    use super::*;

    /// Go's test/chan/select8.go: `break` in a select's branches (a gccgo
    /// bug). In Go `break` leaves the select; a `select!` body is an
    /// expression, where `break` leaves the enclosing loop, which is what
    /// this checks, with one-, two- and three-branch selects and `default`.
    #[test]
    #[allow(clippy::never_loop)]
    fn main() {
        run(async {
            let (tx, rx) = goro::chan::<i32>(0);
            goro::go!(async move { while tx.send(5).await.is_ok() {} });
            let mut passes = 0;

            loop {
                goro::select! {
                    v = rx.recv() => {
                        assert_eq!(v, Some(5));
                        break;
                    }
                }
            }
            passes += 1;

            loop {
                goro::select! {
                    v = rx.recv() => {
                        assert_eq!(v, Some(5));
                        break;
                    }
                    default => break,
                }
            }
            passes += 1;

            let (send_tx, _send_rx) = goro::chan::<i32>(0);
            loop {
                goro::select! {
                    v = rx.recv() => {
                        assert_eq!(v, Some(5));
                        break;
                    }
                    _ = send_tx.send(10) => panic!("unreachable"),
                    default => break,
                }
            }
            passes += 1;
            assert_eq!(passes, 3);
        });
    }
}

mod sendstmt {
    use super::*;

    /// Go's test/chan/sendstmt.go, `chanchan`: `case <-cc <- 2`, a send on
    /// a channel received from a channel of channels. Go evaluates the
    /// receive `<-cc` before the select; so does a branch's operation here.
    #[test]
    fn chanchan() {
        run(async {
            let (cc_tx, cc_rx) = goro::chan::<Sender<i32>>(1);
            let (c_tx, c_rx) = goro::chan::<i32>(1);
            cc_tx.send(c_tx).await.unwrap();
            goro::select! {
                r = cc_rx.recv().await.unwrap().send(2) => r.unwrap(),
                default => panic!("nonblock"),
            }
            assert_eq!(c_rx.recv().await, Some(2), "bad receive");
        });
    }
}

/// The primes below 100, which Go's sieves check.
const PRIMES: [i32; 25] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
];

mod sieve1 {
    use super::*;

    /// Sends 2, 3, 4, ... to `ch` (until nobody receives any more: a send
    /// with every receiver gone fails in goro).
    async fn generate(ch: Sender<i32>) {
        let mut i = 2;
        while ch.send(i).await.is_ok() {
            i += 1;
        }
    }

    /// Copies `inp` to `out`, removing the multiples of `prime`.
    async fn filter(inp: Receiver<i32>, out: Sender<i32>, prime: i32) {
        while let Some(i) = inp.recv().await {
            if i % prime != 0 && out.send(i).await.is_err() {
                return;
            }
        }
    }

    /// Daisy-chains filters together.
    async fn sieve(primes: Sender<i32>) {
        let (tx, mut ch) = goro::chan(0);
        goro::go!(generate(tx));
        loop {
            let prime = ch.recv().await.unwrap();
            if primes.send(prime).await.is_err() {
                return;
            }
            let (tx1, ch1) = goro::chan(0);
            goro::go!(filter(ch, tx1, prime));
            ch = ch1;
        }
    }

    /// Go's test/chan/sieve1.go: the concurrent prime sieve, a chain of
    /// goroutines over unbuffered channels, yields the primes below 100.
    #[test]
    fn main() {
        run(async {
            let (tx, primes) = goro::chan(0);
            goro::go!(sieve(tx));
            for p in PRIMES {
                assert_eq!(primes.recv().await, Some(p));
            }
        });
    }
}

mod sieve2 {
    use super::*;

    /// The odd numbers from 5.
    fn odds() -> Receiver<i32> {
        let (tx, rx) = goro::chan(50);
        goro::go!(async move {
            let mut n = 5;
            while tx.send(n).await.is_ok() {
                n += 2;
            }
        });
        rx
    }

    /// The odd multiples of the prime `p`, from `p * p`.
    fn multiples(p: i32) -> Receiver<i32> {
        let (tx, rx) = goro::chan(10);
        goro::go!(async move {
            let mut n = p * p;
            while tx.send(n).await.is_ok() {
                n += 2 * p;
            }
        });
        rx
    }

    /// A channel with its next value taken out, ordered by that value
    /// (smallest first in a `BinaryHeap`).
    struct PeekCh {
        head: i32,
        ch: Receiver<i32>,
    }

    impl PartialEq for PeekCh {
        fn eq(&self, other: &Self) -> bool {
            self.head == other.head
        }
    }

    impl Eq for PeekCh {}

    impl PartialOrd for PeekCh {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }

    impl Ord for PeekCh {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            other.head.cmp(&self.head)
        }
    }

    /// A channel that buffers without bound in front of `out`, so that a
    /// send to it never blocks for long. Go's goroutine switches its output
    /// off, when its buffer is empty, by selecting on a nil channel; a
    /// [`NilChan`] stands in here.
    fn sendproxy(out: Sender<i32>) -> Sender<i32> {
        let (proxy_tx, proxy_rx) = goro::chan(10);
        goro::go!(async move {
            let nil = NilChan::new();
            let mut buffer = VecDeque::new();
            loop {
                let (c, e) = match buffer.front() {
                    Some(&e) => (&out, e),
                    None => (&nil.tx, 0),
                };
                goro::select! {
                    e = proxy_rx.recv() => match e {
                        Some(e) => buffer.push_back(e),
                        None => return,
                    },
                    r = c.send(e) => {
                        if r.is_err() {
                            return;
                        }
                        buffer.pop_front();
                    }
                }
            }
        });
        proxy_tx
    }

    /// The primes, from an Eratosthenes-like sieve over odd candidates
    /// whose composites come from a heap of channels of multiples, fed back
    /// the primes it finds.
    fn sieve() -> Receiver<i32> {
        let (out_tx, out_rx) = goro::chan(10);
        out_tx.try_send(2).unwrap();
        out_tx.try_send(3).unwrap();
        // The composites to eliminate, in increasing order.
        let (composites_tx, composites_rx) = goro::chan(50);
        // The feedback loop.
        let (primes_tx, primes_rx) = goro::chan(10);
        primes_tx.try_send(3).unwrap();

        // Merges the channels of multiples of `primes` into `composites`.
        goro::go!(async move {
            let mut h = BinaryHeap::new();
            let mut min = 15;
            loop {
                let Some(p) = primes_rx.recv().await else {
                    return;
                };
                let m = multiples(p);
                let head = m.recv().await.unwrap();
                while min < head {
                    if composites_tx.send(min).await.is_err() {
                        return;
                    }
                    let mut minchan: PeekCh = h.pop().unwrap();
                    min = minchan.head;
                    minchan.head = minchan.ch.recv().await.unwrap();
                    h.push(minchan);
                }
                while min == head {
                    let mut minchan: PeekCh = h.pop().unwrap();
                    min = minchan.head;
                    minchan.head = minchan.ch.recv().await.unwrap();
                    h.push(minchan);
                }
                if composites_tx.send(head).await.is_err() {
                    return;
                }
                let head = m.recv().await.unwrap();
                h.push(PeekCh { head, ch: m });
            }
        });

        // Sieves the composites out of the candidates. To find the nth
        // prime the merger needs only the primes up to its square root, so
        // it receives them far slower than they come: the proxy buffers
        // them, lest this goroutine block on a full `primes` (a deadlock).
        goro::go!(async move {
            let primes = sendproxy(primes_tx);
            let candidates = odds();
            let mut p = candidates.recv().await.unwrap();
            loop {
                let Some(c) = composites_rx.recv().await else {
                    return;
                };
                while p < c {
                    if primes.send(p).await.is_err() || out_tx.send(p).await.is_err() {
                        return;
                    }
                    p = candidates.recv().await.unwrap();
                }
                if p == c {
                    p = candidates.recv().await.unwrap();
                }
            }
        });

        out_rx
    }

    /// Go's test/chan/sieve2.go: the primes below 100, from buffered
    /// channels, a proxy goroutine with a switched-off branch, and a heap
    /// of channels.
    #[test]
    fn main() {
        run(async {
            let primes = sieve();
            for p in PRIMES {
                assert_eq!(primes.recv().await, Some(p));
            }
        });
    }
}

mod zerosize {
    use super::*;

    /// Go's test/chan/zerosize.go: channels of zero-sized types, unbuffered
    /// and buffered. Go only makes them; here values also go through, and a
    /// buffer of zero-sized values still counts them.
    #[test]
    fn main() {
        run(async {
            let (tx, rx) = goro::chan::<[u8; 0]>(0);
            let g = goro::go!(async move { tx.send([]).await });
            assert_eq!(rx.recv().await, Some([]));
            join(g).await.unwrap();

            let (tx, rx) = goro::chan::<[u8; 0]>(1);
            tx.send([]).await.unwrap();
            assert_eq!(rx.try_recv(), Ok([]));

            let (tx, rx) = goro::chan::<()>(0);
            let g = goro::go!(async move { tx.send(()).await });
            assert_eq!(rx.recv().await, Some(()));
            join(g).await.unwrap();

            let (tx, rx) = goro::chan::<()>(1000);
            for _ in 0..1000 {
                tx.try_send(()).unwrap();
            }
            assert_eq!(tx.len(), 1000);
            assert!(matches!(tx.try_send(()), Err(TrySendError::Full(()))));
            drop(tx); // the last sender: the channel closes
            let mut n = 0;
            while rx.recv().await.is_some() {
                n += 1;
            }
            assert_eq!(n, 1000);
        });
    }
}

// ---------------------------------------------------------------------------
// test/closedchan.go

mod closedchan {
    use super::*;

    /// Go's three ways to operate on a channel: direct operations
    /// (`XChan`), one-branch selects (`SChan`), and selects with an extra
    /// branch on a channel nobody uses (`SSChan`).
    #[derive(Clone, Copy, Debug)]
    enum Ops {
        Direct,
        Select,
        SelectDummy,
    }

    struct Chan {
        ops: Ops,
        /// `None` when the channel was closed by dropping every sender.
        tx: Option<Sender<i32>>,
        rx: Receiver<i32>,
        /// Go's `dummy`: its sender is kept, so that it stays open.
        dummy: (Sender<bool>, Receiver<bool>),
    }

    impl Chan {
        fn new(ops: Ops, tx: Option<Sender<i32>>, rx: Receiver<i32>) -> Chan {
            Chan {
                ops,
                tx,
                rx,
                dummy: goro::chan(0),
            }
        }

        fn tx(&self) -> &Sender<i32> {
            self.tx.as_ref().expect("a sender")
        }

        async fn send(&self, x: i32) -> Result<(), i32> {
            let r = match self.ops {
                Ops::Direct => self.tx().send(x).await,
                Ops::Select => goro::select! { r = self.tx().send(x) => r },
                Ops::SelectDummy => goro::select! {
                    r = self.tx().send(x) => r,
                    _ = self.dummy.1.recv() => panic!("dummy"),
                },
            };
            r.map_err(|e| e.into_inner())
        }

        /// `None` if it would block.
        async fn nbsend(&self, x: i32) -> Option<Result<(), i32>> {
            match self.ops {
                Ops::Direct => match self.tx().try_send(x) {
                    Ok(()) => Some(Ok(())),
                    Err(TrySendError::Full(_)) => None,
                    Err(TrySendError::Closed(x)) => Some(Err(x)),
                },
                Ops::Select => goro::select! {
                    default => None,
                    r = self.tx().send(x) => Some(r.map_err(|e| e.into_inner())),
                },
                Ops::SelectDummy => goro::select! {
                    default => None,
                    _ = self.dummy.1.recv() => panic!("dummy"),
                    r = self.tx().send(x) => Some(r.map_err(|e| e.into_inner())),
                },
            }
        }

        /// Go's `Recv` and `Recv2` in one: `None` is Go's `0, false`.
        async fn recv(&self) -> Option<i32> {
            match self.ops {
                Ops::Direct => self.rx.recv().await,
                Ops::Select => goro::select! { v = self.rx.recv() => v },
                Ops::SelectDummy => goro::select! {
                    _ = self.dummy.1.recv() => panic!("dummy"),
                    v = self.rx.recv() => v,
                },
            }
        }

        /// Go's `Nbrecv` and `Nbrecv2`: the outer `None` if it would block.
        async fn nbrecv(&self) -> Option<Option<i32>> {
            match self.ops {
                Ops::Direct => match self.rx.try_recv() {
                    Ok(v) => Some(Some(v)),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Closed) => Some(None),
                },
                Ops::Select => goro::select! {
                    default => None,
                    v = self.rx.recv() => Some(v),
                },
                Ops::SelectDummy => goro::select! {
                    _ = self.dummy.1.recv() => panic!("dummy"),
                    default => None,
                    v = self.rx.recv() => Some(v),
                },
            }
        }
    }

    /// Go's `test1`, on a closed and drained channel.
    async fn test1(c: &Chan) {
        let what = c.ops;
        for _ in 0..3 {
            // a receive gets the close signal (Go: a zero value, false)
            assert_eq!(c.recv().await, None, "recv on closed {what:?}");
            // a non-blocking one as well, without blocking
            assert_eq!(c.nbrecv().await, Some(None), "nbrecv on closed {what:?}");
        }
        // A send on the closed channel: Go panics; goro gives the value
        // back, without blocking.
        assert_eq!(c.nbsend(1).await, Some(Err(1)), "nbsend on closed {what:?}");
        // the value was discarded
        assert_eq!(c.recv().await, None, "recv after send on closed {what:?}");
        // the same with a blocking send
        assert_eq!(c.send(2).await, Err(2), "send on closed {what:?}");
        assert_eq!(c.recv().await, None, "recv after send on closed {what:?}");
    }

    /// A closed channel with one value still buffered.
    fn closedasync(ops: Ops) -> Chan {
        let (tx, rx) = goro::chan(2);
        tx.try_send(1).unwrap();
        assert!(tx.close());
        Chan::new(ops, Some(tx), rx)
    }

    /// Go's test/closedchan.go: receives from a closed channel, with direct
    /// operations and with selects, unbuffered and with a value left in the
    /// buffer. goro differs from Go by design: a send on a closed channel
    /// returns the value in `Err` (Go panics), and closing a closed channel
    /// returns `false` (Go panics). Besides `close`, goro closes a channel
    /// when its last `Sender` is dropped, which is checked too.
    #[test]
    fn main() {
        run(async {
            for ops in [Ops::Direct, Ops::Select, Ops::SelectDummy] {
                // closedsync: closed with close()
                let (tx, rx) = goro::chan(0);
                assert!(tx.close());
                test1(&Chan::new(ops, Some(tx), rx)).await;

                // closed by dropping every Sender: the receives are the same
                let (tx, rx) = goro::chan::<i32>(0);
                let tx2 = tx.clone();
                drop(tx);
                assert!(!rx.is_closed());
                drop(tx2);
                assert!(rx.is_closed());
                let c = Chan::new(ops, None, rx);
                for _ in 0..3 {
                    assert_eq!(c.recv().await, None, "recv, senders dropped {ops:?}");
                    assert_eq!(
                        c.nbrecv().await,
                        Some(None),
                        "nbrecv, senders dropped {ops:?}"
                    );
                }
            }

            for testasync in 1..=4 {
                for ops in [Ops::Direct, Ops::Select, Ops::SelectDummy] {
                    let c = closedasync(ops);
                    // the buffered value still comes first
                    match testasync {
                        1 | 2 => {
                            assert_eq!(c.recv().await, Some(1), "testasync{testasync} {ops:?}")
                        }
                        _ => assert_eq!(
                            c.nbrecv().await,
                            Some(Some(1)),
                            "testasync{testasync} {ops:?}"
                        ),
                    }
                    test1(&c).await;
                }
            }

            // close of a closed channel: Go panics; goro returns false, from
            // either end
            let (tx, rx) = goro::chan::<i32>(0);
            assert!(tx.close());
            assert!(!tx.close());
            assert!(!rx.close());
        });
    }
}

// ---------------------------------------------------------------------------
// src/runtime/chan_test.go

mod chan_test {
    use super::*;

    /// Go's `TestChan`: for every capacity from 0 to 19 (Go's short mode;
    /// Go runs to 199 otherwise): receives from an empty channel and sends
    /// to a full one block and their non-blocking forms do not; a closed
    /// channel delivers its buffer, then the close; close wakes a waiting
    /// receiver; 100 values arrive in order (with `recv` and as a stream);
    /// 4 senders and 4 receivers of 1000 values each lose and duplicate
    /// nothing; `len` and `cap`. Go sleeps 1 ms before checking that an
    /// operation blocks; here the check comes after the other goroutines
    /// had every chance to run, and the blocked operations are then
    /// completed and checked.
    #[test]
    fn test_chan() {
        const N: usize = 20;
        run_on(4, async {
            for cap in 0..N {
                {
                    // receive from an empty channel blocks
                    let (tx, rx) = goro::chan::<i32>(cap);
                    let (rx1, rx2) = (rx.clone(), rx.clone());
                    let recv1 = goro::go!(async move { rx1.recv().await });
                    let recv2 = goro::go!(async move { rx2.recv().await });
                    let_others_run().await;
                    assert!(
                        !recv1.is_finished() && !recv2.is_finished(),
                        "chan[{cap}]: receive from empty chan"
                    );
                    // a non-blocking receive does not block
                    goro::select! {
                        _ = rx.recv() => panic!("chan[{cap}]: receive from empty chan"),
                        default => {}
                    }
                    tx.send(0).await.unwrap();
                    tx.send(0).await.unwrap();
                    assert_eq!(join(recv1).await, Some(0));
                    assert_eq!(join(recv2).await, Some(0));
                }

                {
                    // send to a full channel blocks
                    let (tx, rx) = goro::chan::<usize>(cap);
                    for i in 0..cap {
                        tx.send(i).await.unwrap();
                    }
                    let tx1 = tx.clone();
                    let sender = goro::go!(async move { tx1.send(0).await });
                    let_others_run().await;
                    assert!(!sender.is_finished(), "chan[{cap}]: send to full chan");
                    // a non-blocking send does not block
                    goro::select! {
                        _ = tx.send(0) => panic!("chan[{cap}]: send to full chan"),
                        default => {}
                    }
                    assert_eq!(rx.recv().await, Some(0));
                    join(sender).await.unwrap();
                }

                {
                    // a closed channel delivers its buffer, then the close
                    let (tx, rx) = goro::chan::<usize>(cap);
                    for i in 0..cap {
                        tx.send(i).await.unwrap();
                    }
                    assert!(tx.close());
                    for i in 0..cap {
                        assert_eq!(rx.recv().await, Some(i), "chan[{cap}]");
                    }
                    assert_eq!(rx.recv().await, None, "chan[{cap}]");
                    assert_eq!(rx.recv().await, None, "chan[{cap}]");
                }

                {
                    // close unblocks a receive
                    let (tx, rx) = goro::chan::<i32>(cap);
                    let receiver = goro::go!(async move { rx.recv().await });
                    let_others_run().await;
                    assert!(tx.close());
                    assert_eq!(join(receiver).await, None, "chan[{cap}]");
                }

                {
                    // 100 values arrive uncorrupted, in order
                    let (tx, rx) = goro::chan::<usize>(cap);
                    let tx1 = tx.clone();
                    goro::go!(async move {
                        for i in 0..100 {
                            tx1.send(i).await.unwrap();
                        }
                    });
                    for i in 0..100 {
                        assert_eq!(rx.recv().await, Some(i), "chan[{cap}]");
                    }
                    // the same, receiving as a stream
                    let tx1 = tx.clone();
                    goro::go!(async move {
                        for i in 0..100 {
                            tx1.send(i).await.unwrap();
                        }
                    });
                    let mut stream = rx.clone();
                    for i in 0..100 {
                        assert_eq!(stream.next().await, Some(i), "chan[{cap}]");
                    }
                    drop(stream);

                    // P senders and P receivers of L values each: every value
                    // arrives P times
                    const P: usize = 4;
                    const L: usize = 1000;
                    for _ in 0..P {
                        let tx = tx.clone();
                        goro::go!(async move {
                            for i in 0..L {
                                tx.send(i).await.unwrap();
                            }
                        });
                    }
                    let receivers: Vec<_> = (0..P)
                        .map(|_| {
                            let rx = rx.clone();
                            goro::go!(async move {
                                let mut recv = HashMap::<usize, usize>::new();
                                for _ in 0..L {
                                    *recv.entry(rx.recv().await.unwrap()).or_default() += 1;
                                }
                                recv
                            })
                        })
                        .collect();
                    let mut recv = HashMap::<usize, usize>::new();
                    for r in receivers {
                        for (k, v) in join(r).await {
                            *recv.entry(k).or_default() += v;
                        }
                    }
                    assert_eq!(recv.len(), L, "chan[{cap}]");
                    assert!(recv.values().all(|&v| v == P), "chan[{cap}]: {recv:?}");
                }

                {
                    // len and cap
                    let (tx, rx) = goro::chan::<usize>(cap);
                    assert_eq!((tx.len(), tx.cap()), (0, cap));
                    for i in 0..cap {
                        tx.send(i).await.unwrap();
                    }
                    assert_eq!((tx.len(), tx.cap()), (cap, cap));
                    assert_eq!((rx.len(), rx.cap()), (cap, cap));
                }
            }
        });
    }

    /// Go's `TestNonblockRecvRace`: a non-blocking receive on a channel
    /// that holds a value, or has been closed since, always proceeds.
    /// 10 000 rounds (Go's count; 100 in short mode).
    #[test]
    fn test_nonblock_recv_race() {
        run(async {
            for _ in 0..10_000 {
                let (tx, rx) = goro::chan::<i32>(1);
                tx.send(1).await.unwrap();
                let rx1 = rx.clone();
                let g = goro::go!(async move {
                    goro::select! {
                        v = rx1.recv() => Some(v),
                        default => None,
                    }
                });
                assert!(tx.close());
                rx.recv().await;
                let got = join(g).await;
                assert!(got.is_some(), "chan is not ready");
            }
        });
    }

    /// Go's `TestNonblockSelectRace`: a select acts on the channels' state
    /// at one moment. From the goroutine's start, c1 or c2 is always ready,
    /// so its non-blocking select must never take `default`. 10 000 rounds
    /// (Go: 100 000, or 1000 in short mode).
    #[test]
    fn test_nonblock_select_race() {
        run(async {
            let (done_tx, done_rx) = goro::chan::<bool>(1);
            for _ in 0..10_000 {
                let (c1_tx, c1_rx) = goro::chan::<i32>(1);
                let (c2_tx, c2_rx) = goro::chan::<i32>(1);
                c1_tx.send(1).await.unwrap();
                let (r1, r2, done) = (c1_rx.clone(), c2_rx.clone(), done_tx.clone());
                goro::go!(async move {
                    let ready = goro::select! {
                        _ = r1.recv() => true,
                        _ = r2.recv() => true,
                        default => false,
                    };
                    done.send(ready).await.unwrap();
                });
                c2_tx.send(1).await.unwrap();
                goro::select! {
                    _ = c1_rx.recv() => {}
                    default => {}
                }
                assert_eq!(done_rx.recv().await, Some(true), "no chan is ready");
            }
        });
    }

    /// Go's `TestNonblockSelectRace2`: the same, with c2 closed instead of
    /// sent to (a closed channel's receive is ready).
    #[test]
    fn test_nonblock_select_race2() {
        run(async {
            let (done_tx, done_rx) = goro::chan::<bool>(1);
            for _ in 0..10_000 {
                let (c1_tx, c1_rx) = goro::chan::<i32>(1);
                let (c2_tx, c2_rx) = goro::chan::<i32>(0);
                c1_tx.send(1).await.unwrap();
                let (r1, r2, done) = (c1_rx.clone(), c2_rx.clone(), done_tx.clone());
                goro::go!(async move {
                    let ready = goro::select! {
                        _ = r1.recv() => true,
                        _ = r2.recv() => true,
                        default => false,
                    };
                    done.send(ready).await.unwrap();
                });
                assert!(c2_tx.close());
                goro::select! {
                    _ = c1_rx.recv() => {}
                    default => {}
                }
                assert_eq!(done_rx.recv().await, Some(true), "no chan is ready");
            }
        });
    }

    /// Go's `TestSelfSelect`: selects that send to and receive from one
    /// channel neither crash nor deadlock, and on an unbuffered channel a
    /// goroutine never receives its own value. Go's count; two workers, as
    /// Go's `GOMAXPROCS(2)`.
    #[test]
    fn test_self_select() {
        run_on(2, async {
            for cap in [0, 10] {
                let (tx, rx) = goro::chan::<usize>(cap);
                let goroutines: Vec<_> = (0..2)
                    .map(|p: usize| {
                        let (tx, rx) = (tx.clone(), rx.clone());
                        goro::go!(async move {
                            let mut self_receives = 0;
                            let mut received = 0;
                            for i in 0..1000 {
                                let got = if p == 0 || i % 2 == 0 {
                                    goro::select! {
                                        r = tx.send(p) => { r.unwrap(); None }
                                        v = rx.recv() => v,
                                    }
                                } else {
                                    goro::select! {
                                        v = rx.recv() => v,
                                        r = tx.send(p) => { r.unwrap(); None }
                                    }
                                };
                                if let Some(v) = got {
                                    received += 1;
                                    if cap == 0 && v == p {
                                        self_receives += 1;
                                    }
                                }
                            }
                            (self_receives, received)
                        })
                    })
                    .collect();
                let mut received = 0;
                for g in goroutines {
                    let (self_receives, r) = join(g).await;
                    assert_eq!(self_receives, 0, "self receive, cap {cap}");
                    received += r;
                }
                if cap == 0 {
                    // every select met the other goroutine's
                    assert_eq!(received, 1000);
                }
            }
        });
    }

    /// Go's `TestSelectStress`: 4 channels (2 unbuffered, capacity 2 and 3),
    /// each with a sender and a receiver of N values, plus one goroutine
    /// that sends N values on each in one select and one that receives N
    /// from each in one select, switching a channel off (Go: setting it to
    /// nil; here a [`NilChan`] stands in) once it has had N. N is 10 000
    /// (Go's short mode; 100 000 otherwise); 10 workers, as Go's
    /// `GOMAXPROCS(10)`.
    #[test]
    fn test_select_stress() {
        const N: usize = 10_000;
        run_on(10, async {
            let c: [(Sender<i32>, Receiver<i32>); 4] =
                [goro::chan(0), goro::chan(0), goro::chan(2), goro::chan(3)];
            let wg = WaitGroup::new();
            for (tx, rx) in &c {
                let tx = tx.clone();
                wg.go(async move {
                    for _ in 0..N {
                        tx.send(0).await.unwrap();
                    }
                });
                let rx = rx.clone();
                wg.go(async move {
                    for _ in 0..N {
                        rx.recv().await.unwrap();
                    }
                });
            }
            let txs: [Sender<i32>; 4] = std::array::from_fn(|k| c[k].0.clone());
            let select_sender = wg.go(async move {
                let nil = NilChan::new();
                let mut n = [0; 4];
                for _ in 0..4 * N {
                    let c1: [&Sender<i32>; 4] =
                        std::array::from_fn(|k| if n[k] == N { &nil.tx } else { &txs[k] });
                    goro::select! {
                        r = c1[3].send(0) => { r.unwrap(); n[3] += 1; }
                        r = c1[2].send(0) => { r.unwrap(); n[2] += 1; }
                        r = c1[0].send(0) => { r.unwrap(); n[0] += 1; }
                        r = c1[1].send(0) => { r.unwrap(); n[1] += 1; }
                    }
                }
                n
            });
            let rxs: [Receiver<i32>; 4] = std::array::from_fn(|k| c[k].1.clone());
            let select_receiver = wg.go(async move {
                let nil = NilChan::new();
                let mut n = [0; 4];
                for _ in 0..4 * N {
                    let c1: [&Receiver<i32>; 4] =
                        std::array::from_fn(|k| if n[k] == N { &nil.rx } else { &rxs[k] });
                    goro::select! {
                        v = c1[0].recv() => { v.unwrap(); n[0] += 1; }
                        v = c1[1].recv() => { v.unwrap(); n[1] += 1; }
                        v = c1[2].recv() => { v.unwrap(); n[2] += 1; }
                        v = c1[3].recv() => { v.unwrap(); n[3] += 1; }
                    }
                }
                n
            });
            wg.wait().await;
            assert_eq!(join(select_sender).await, [N; 4]);
            assert_eq!(join(select_receiver).await, [N; 4]);
            for (tx, rx) in &c {
                assert_eq!((tx.len(), rx.try_recv()), (0, Err(TryRecvError::Empty)));
            }
        });
    }

    /// Go's `TestSelectFairness`: a select with two always-ready channels
    /// (and two never-ready ones) picks each about half of the time: over
    /// 10 000 trials (Go's count) within 10 standard deviations of 5000.
    /// c3 and c4 keep their senders: with those gone they would be closed,
    /// and always ready.
    #[test]
    fn test_select_fairness() {
        const TRIALS: usize = 10_000;
        run(async {
            let (c1_tx, c1_rx) = goro::chan::<u8>(TRIALS + 1);
            let (c2_tx, c2_rx) = goro::chan::<u8>(TRIALS + 1);
            for _ in 0..TRIALS + 1 {
                c1_tx.try_send(1).unwrap();
                c2_tx.try_send(2).unwrap();
            }
            let (_c3_tx, c3_rx) = goro::chan::<u8>(0);
            let (_c4_tx, c4_rx) = goro::chan::<u8>(0);
            let (out_tx, out_rx) = goro::chan::<u8>(0);
            let (done_tx, done_rx) = goro::chan::<u8>(0);
            let wg = WaitGroup::new();
            wg.go(async move {
                loop {
                    let b = goro::select! {
                        b = c3_rx.recv() => b,
                        b = c4_rx.recv() => b,
                        b = c1_rx.recv() => b,
                        b = c2_rx.recv() => b,
                    };
                    goro::select! {
                        r = out_tx.send(b.unwrap()) => r.unwrap(),
                        _ = done_rx.recv() => return,
                    }
                }
            });
            let (mut cnt1, mut cnt2) = (0, 0);
            for _ in 0..TRIALS {
                match out_rx.recv().await {
                    Some(1) => cnt1 += 1,
                    Some(2) => cnt2 += 1,
                    b => panic!("unexpected value {b:?} on channel"),
                }
            }
            let mean = TRIALS as f64 * 0.5;
            let stddev = (TRIALS as f64 * 0.5 * 0.5).sqrt();
            assert!(
                (f64::from(cnt1) - mean).abs() <= 10.0 * stddev,
                "unfair select: in {TRIALS} trials, results were {cnt1}, {cnt2}"
            );
            assert!(done_tx.close());
            wg.wait().await;
        });
    }

    /// Go's `TestChanSendInterface`: non-blocking sends of an interface
    /// value (here a shared `Arc<dyn Any>`) to a full channel take the
    /// default, and send nothing.
    #[test]
    fn test_chan_send_interface() {
        struct Mt;
        run(async {
            let m: Arc<dyn std::any::Any + Send + Sync> = Arc::new(Mt);
            let (tx, rx) = goro::chan(1);
            tx.send(m.clone()).await.unwrap();
            let sent = goro::select! {
                r = tx.send(m.clone()) => r.is_ok(),
                default => false,
            };
            assert!(!sent);
            let sent = goro::select! {
                r = tx.send(m.clone()) => r.is_ok(),
                r = tx.send(Arc::new(Mt)) => r.is_ok(),
                default => false,
            };
            assert!(!sent);
            assert_eq!(tx.len(), 1);
            let got = rx.recv().await.unwrap();
            assert!(Arc::ptr_eq(&got, &m) && got.is::<Mt>());
            drop(got);
            // The losing sends dropped their clones.
            assert_eq!(Arc::strong_count(&m), 1);
        });
    }

    /// Go's `TestPseudoRandomSend`: with two sends ready on one channel, a
    /// select picks between them at random: of 100 values, more than 10 are
    /// 0s and more than 10 are 1s (failing that by chance has a probability
    /// near 10^-17), unbuffered and buffered. Go's receiver signals its end
    /// by a mutex; here by its end.
    #[test]
    fn test_pseudo_random_send() {
        const N: usize = 100;
        run(async {
            for cap in [0, N] {
                let (tx, rx) = goro::chan::<usize>(cap);
                let receiver = goro::go!(async move {
                    let mut l = Vec::with_capacity(N);
                    for _ in 0..N {
                        goro::gosched().await;
                        l.push(rx.recv().await.unwrap());
                    }
                    l
                });
                for _ in 0..N {
                    goro::select! {
                        r = tx.send(1) => r.unwrap(),
                        r = tx.send(0) => r.unwrap(),
                    }
                }
                let l = join(receiver).await;
                let n1: usize = l.iter().sum();
                let n0 = N - n1;
                assert!(
                    n0 > N / 10 && n1 > N / 10,
                    "want pseudorandom, got {n0} zeros and {n1} ones (chan cap {cap})"
                );
            }
        });
    }

    /// Go's `TestMultiConsumer`: 23 workers range over a buffered work
    /// channel (yielding now and then to mess with its first-in-first-out
    /// order) and pass every item on; the feeder closes the work channel,
    /// waits for the workers and closes the results. Every item arrives:
    /// the count and the sum match. 271 828 items, as in Go.
    #[test]
    fn test_multi_consumer() {
        const NWORK: usize = 23;
        const NITER: usize = 271_828;
        const PN: [usize; 10] = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];
        run(async {
            let (q_tx, q_rx) = goro::chan::<usize>(NWORK * 3);
            let (r_tx, r_rx) = goro::chan::<usize>(NWORK * 3);

            let wg = WaitGroup::new();
            for w in 0..NWORK {
                let (q, r) = (q_rx.clone(), r_tx.clone());
                wg.go(async move {
                    while let Some(v) = q.recv().await {
                        if PN[w % PN.len()] == v {
                            goro::gosched().await;
                        }
                        r.send(v).await.unwrap();
                    }
                });
            }
            drop(q_rx);

            let feeder = goro::go!(async move {
                let mut expect = 0;
                for i in 0..NITER {
                    let v = PN[i % PN.len()];
                    expect += v;
                    q_tx.send(v).await.unwrap();
                }
                assert!(q_tx.close()); // no more work
                wg.wait().await; // workers done
                assert!(r_tx.close()); // ... so there can be no more results
                expect
            });

            let (mut n, mut s) = (0, 0);
            while let Some(v) = r_rx.recv().await {
                n += 1;
                s += v;
            }
            let expect = join(feeder).await;
            assert_eq!((n, s), (NITER, expect));
        });
    }

    /// Go's `TestSelectDuplicateChannel`: a select with two receives on one
    /// channel queues one goroutine on it twice; once it is woken through
    /// another channel and leaves, the channel's queue must still be intact
    /// for the receiver queued after it. Go sleeps to get that queue order;
    /// here the test polls goroutine A's select and then B's receive once
    /// each, by hand, which queues them in that order for sure.
    #[test]
    fn test_select_duplicate_channel() {
        run(async {
            let (c_tx, c_rx) = goro::chan::<i32>(0);
            let (d_tx, d_rx) = goro::chan::<i32>(0);
            // goroutine A
            let mut a = pin!(async {
                goro::select! {
                    v = c_rx.recv() => ("c", v),
                    v = c_rx.recv() => ("c", v),
                    v = d_rx.recv() => ("d", v),
                }
            });
            assert!(poll_once(&mut a.as_mut()).await.is_pending());
            // goroutine B
            let mut b = pin!(c_rx.recv());
            assert!(poll_once(&mut b.as_mut()).await.is_pending());
            // Wake A: it leaves c's queue (twice). This used to corrupt it.
            d_tx.send(7).await.unwrap();
            assert_eq!(a.await, ("d", Some(7)));
            // Wake B. This used to fail: c's queue pointed at A.
            c_tx.send(8).await.unwrap();
            assert_eq!(b.await, Some(8));
        });
    }
}
