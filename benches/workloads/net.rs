//! The network workloads, `fanout` and `pipeline`, in goro and in raw
//! Tokio (their Go programs are `benches/go/fanout` and
//! `benches/go/pipeline`). Each runs in-process over loopback: a server on
//! `127.0.0.1` with an ephemeral port, its accept loop in a goroutine (a
//! task) of its own and one goroutine per accepted connection, and
//! `GORO_BENCH_CLIENTS` clients (default 1000), all started at once, each a
//! goroutine with a connection of its own. Main waits for every client,
//! then drops the listener (Go's `ln.Close()`) and returns the result line:
//! the clients and the bytes they verified.
//!
//! The two Rust sides share the connections' code ([`echo`],
//! [`fanout_client`], [`answer`], [`pipeline_client`]), written with
//! Tokio's `TcpStream` as a goro user writes it too; they differ only in
//! how they listen, start goroutines (`goro::spawn` and
//! `WaitGroup::go` against `tokio::spawn`) and wait for the clients (a
//! `WaitGroup` against a join of the clients' handles). goro listens with
//! `goro::net::listen`, whose backlog is the system's `somaxconn` (4096 by
//! default), as Go's `net.Listen`; Tokio with `TcpListener::bind`, whose
//! backlog is mio's 128, as the standard library's. With a thousand clients
//! dialing at once, Tokio's queue overflows: Linux drops the connection
//! attempts it cannot queue (no error reaches the clients) and the clients
//! send them again a second later, which is part of Tokio's time. Like
//! Tokio's defaults, and unlike Go's, neither Rust side sets `TCP_NODELAY`:
//! every message is a single write, so Nagle's algorithm never holds one
//! back.
//!
//! Every failure (connect, read, write, accept, a byte that differs) panics:
//! in goro and Go that ends the process with status 2; in Tokio a client's
//! panic reaches main through its join handle, and a server task's makes
//! its client fail.
//!
//! Open files: each run holds two sockets per client. Go and goro raise the
//! soft `RLIMIT_NOFILE` to the hard limit when they start; Tokio does not,
//! so `benches/compare.sh` raises it for every side (`ulimit -Sn` to the
//! hard limit) before running them. By hand, with the usual soft limit of
//! 1024, the `tokio` sides need `ulimit -Sn "$(ulimit -Hn)"` first.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use goro::sync::WaitGroup;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The round trips of each `fanout` client.
const ROUNDS: u64 = 100;
/// The bytes of each `fanout` message.
const MESSAGE: usize = 64;
/// The request/response pairs of each `pipeline` client.
const REQUESTS: u64 = 50;
/// The bytes of each `pipeline` response.
const RESPONSE: usize = 1024;
/// The buffer of `fanout`'s echo server, as in the Go program.
const ECHO_BUFFER: usize = 4096;

/// The number of clients: `GORO_BENCH_CLIENTS`, or 1000 if it is unset or
/// empty (as the Go programs read it).
fn clients() -> u64 {
    match std::env::var("GORO_BENCH_CLIENTS") {
        Ok(n) if !n.is_empty() => n
            .parse()
            .unwrap_or_else(|e| panic!("GORO_BENCH_CLIENTS={n:?}: {e}")),
        _ => 1000,
    }
}

/// Fills `message` with the bytes client `client` sends in round `round`
/// of `fanout`: the client and the round as big-endian u32s, then a pattern
/// of both, so that an echo to the wrong client or of the wrong round
/// differs.
fn fill_message(message: &mut [u8], client: u64, round: u64) {
    message[0..4].copy_from_slice(&(client as u32).to_be_bytes());
    message[4..8].copy_from_slice(&(round as u32).to_be_bytes());
    for (j, b) in message.iter_mut().enumerate().skip(8) {
        *b = ((client * 31 + round * 7 + j as u64) % 251) as u8;
    }
}

/// Fills `response` with `pipeline`'s answer to the request line `request`
/// (its '\n' included): byte j is (the sum of the request's bytes + j) %
/// 251.
fn fill_response(response: &mut [u8], request: &[u8]) {
    let sum: u64 = request.iter().map(|&b| u64::from(b)).sum();
    for (j, b) in response.iter_mut().enumerate() {
        *b = ((sum + j as u64) % 251) as u8;
    }
}

/// `fanout`'s server side of one connection: echoes what it reads until
/// the client closes the connection.
async fn echo(mut conn: TcpStream) {
    let mut buf = vec![0; ECHO_BUFFER];
    loop {
        let n = conn.read(&mut buf).await.expect("echo: read");
        if n == 0 {
            return;
        }
        conn.write_all(&buf[..n]).await.expect("echo: write");
    }
}

/// One `fanout` client: `ROUNDS` round trips of `MESSAGE` bytes, each
/// echo checked byte for byte. Returns the bytes verified.
async fn fanout_client(addr: SocketAddr, client: u64) -> u64 {
    let mut conn = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("fanout: client {client}: connect: {e}"));
    let mut sent = vec![0; MESSAGE];
    let mut got = vec![0; MESSAGE];
    for round in 0..ROUNDS {
        fill_message(&mut sent, client, round);
        conn.write_all(&sent)
            .await
            .unwrap_or_else(|e| panic!("fanout: client {client}: write: {e}"));
        conn.read_exact(&mut got)
            .await
            .unwrap_or_else(|e| panic!("fanout: client {client}: read: {e}"));
        assert!(
            got == sent,
            "fanout: client {client}, round {round}: the echo differs"
        );
    }
    ROUNDS * MESSAGE as u64
}

/// `pipeline`'s server side of one connection: answers each request line
/// with its `RESPONSE` bytes until the client closes the connection.
async fn answer(conn: TcpStream) {
    let mut conn = BufReader::new(conn);
    let mut line = Vec::new();
    let mut response = vec![0; RESPONSE];
    loop {
        line.clear();
        let n = conn
            .read_until(b'\n', &mut line)
            .await
            .expect("pipeline: server: read");
        if n == 0 {
            return;
        }
        assert!(
            line.ends_with(b"\n"),
            "pipeline: server: a request without its '\\n'"
        );
        fill_response(&mut response, &line);
        conn.write_all(&response)
            .await
            .expect("pipeline: server: write");
    }
}

/// One `pipeline` client: `REQUESTS` requests, one at a time, each
/// response checked byte for byte. Returns the bytes verified.
async fn pipeline_client(addr: SocketAddr, client: u64) -> u64 {
    let mut conn = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("pipeline: client {client}: connect: {e}"));
    let mut want = vec![0; RESPONSE];
    let mut got = vec![0; RESPONSE];
    for i in 0..REQUESTS {
        let request = format!("GET {client} {i}\n");
        conn.write_all(request.as_bytes())
            .await
            .unwrap_or_else(|e| panic!("pipeline: client {client}: write: {e}"));
        conn.read_exact(&mut got)
            .await
            .unwrap_or_else(|e| panic!("pipeline: client {client}: read: {e}"));
        fill_response(&mut want, request.as_bytes());
        assert!(
            got == want,
            "pipeline: client {client}, request {i}: the response differs"
        );
    }
    REQUESTS * RESPONSE as u64
}

/// goro's accept loop: a goroutine per connection, running `handle`.
async fn goro_serve<F>(ln: TcpListener, handle: fn(TcpStream) -> F)
where
    F: Future<Output = ()> + Send + 'static,
{
    loop {
        let (conn, _) = ln.accept().await.expect("accept");
        goro::spawn(handle(conn));
    }
}

/// A goro body: the server (`handle` per connection) and `clients` running
/// `client`, all started at once; returns the clients and the bytes they
/// verified.
async fn goro_clients<S, C>(
    handle: fn(TcpStream) -> S,
    client: fn(SocketAddr, u64) -> C,
) -> (u64, u64)
where
    S: Future<Output = ()> + Send + 'static,
    C: Future<Output = u64> + Send + 'static,
{
    let n = clients();
    let ln = goro::net::listen("127.0.0.1:0").await.expect("listen");
    let addr = ln.local_addr().expect("the listener's address");
    let server = goro::spawn(goro_serve(ln, handle));
    let verified = Arc::new(AtomicU64::new(0));
    let wg = WaitGroup::new();
    for c in 0..n {
        let verified = verified.clone();
        wg.go(async move {
            verified.fetch_add(client(addr, c).await, Ordering::Relaxed);
        });
    }
    wg.wait().await;
    // Drops the listener, as Go's `ln.Close()` ends its accept loop.
    server.abort();
    (n, verified.load(Ordering::Relaxed))
}

pub(crate) async fn fanout() -> String {
    let (n, verified) = goro_clients(echo, fanout_client).await;
    format!("fanout {n} {verified}")
}

pub(crate) async fn pipeline() -> String {
    let (n, verified) = goro_clients(answer, pipeline_client).await;
    format!("pipeline {n} {verified}")
}

/// Tokio's accept loop: a task per connection, running `handle`.
async fn tokio_serve<F>(ln: TcpListener, handle: fn(TcpStream) -> F)
where
    F: Future<Output = ()> + Send + 'static,
{
    loop {
        let (conn, _) = ln.accept().await.expect("accept");
        tokio::spawn(handle(conn));
    }
}

/// [`goro_clients`] in raw Tokio.
async fn tokio_clients<S, C>(
    handle: fn(TcpStream) -> S,
    client: fn(SocketAddr, u64) -> C,
) -> (u64, u64)
where
    S: Future<Output = ()> + Send + 'static,
    C: Future<Output = u64> + Send + 'static,
{
    let n = clients();
    let ln = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = ln.local_addr().expect("the listener's address");
    let server = tokio::spawn(tokio_serve(ln, handle));
    let clients: Vec<_> = (0..n).map(|c| tokio::spawn(client(addr, c))).collect();
    let mut verified = 0;
    for client in clients {
        verified += client.await.unwrap();
    }
    // Drops the listener.
    server.abort();
    (n, verified)
}

pub(crate) async fn tokio_fanout() -> String {
    let (n, verified) = tokio_clients(echo, fanout_client).await;
    format!("fanout {n} {verified}")
}

pub(crate) async fn tokio_pipeline() -> String {
    let (n, verified) = tokio_clients(answer, pipeline_client).await;
    format!("pipeline {n} {verified}")
}
