//! `goro::net::listen`: Go's `net.Listen` for TCP.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(60);

/// The system's limit on a listener's queue, as `listen` reads it.
fn somaxconn() -> usize {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(4096)
}

#[goro::test]
async fn a_listener_queues_more_connections_than_tokios_default_before_any_accept() {
    // Tokio's own `bind` queues 128: the dials past that would not complete
    // until the server accepts.
    const DIALS: usize = 300;
    if somaxconn() <= DIALS {
        eprintln!("skipped: net.core.somaxconn is {} here", somaxconn());
        return;
    }
    let listener = goro::net::listen("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dials: Vec<_> = (0..DIALS)
        .map(|_| goro::go!(tokio::net::TcpStream::connect(addr)))
        .collect();
    let mut connected = Vec::new();
    for dial in dials {
        let conn = tokio::time::timeout(GENEROUS, dial)
            .await
            .expect("the dial completes without an accept")
            .unwrap()
            .unwrap();
        connected.push(conn);
    }
    assert_eq!(connected.len(), DIALS);
    drop(listener);
}

#[goro::test]
async fn a_listener_on_every_interface_takes_a_port_alone() {
    let listener = goro::net::listen(":0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    assert_ne!(port, 0);
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (mut served, _) = listener.accept().await.unwrap();
    served.write_all(b"hi").await.unwrap();
    let mut buf = [0; 2];
    conn.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"hi");
}

#[goro::test]
async fn localhost_resolves_to_ipv4_first() {
    let listener = goro::net::listen("localhost:0").await.unwrap();
    assert!(listener.local_addr().unwrap().is_ipv4());
}

#[goro::test]
async fn a_bad_address_is_an_error_that_names_it() {
    for bad in [":http", "nonsense", "127.0.0.1:99999"] {
        let err = goro::net::listen(bad).await.unwrap_err();
        assert!(err.to_string().contains(bad), "{bad}: {err}");
    }
}

#[goro::test]
async fn an_address_in_use_is_an_error() {
    let first = goro::net::listen("127.0.0.1:0").await.unwrap();
    let addr = first.local_addr().unwrap().to_string();
    let err = goro::net::listen(&addr).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
}
