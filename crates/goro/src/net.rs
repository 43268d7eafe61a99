//! Go's `net.Listen` for TCP: [`listen`].
//!
//! Everything else of a goro program's networking is Tokio's
//! (`tokio::net::TcpStream::connect`, `AsyncReadExt`, ...), which works
//! inside goroutines as it does inside Tokio tasks.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::{TcpListener, TcpSocket};

/// Listens for TCP connections on `address`, as Go's
/// `net.Listen("tcp", address)` does: `"127.0.0.1:8080"`, `"[::1]:0"`,
/// `"localhost:8080"` (the first address it resolves to, IPv4 first), or
/// `":8080"` (every interface, IPv6 and IPv4 where the system allows,
/// else IPv4). Port 0 picks a free port; `local_addr()` tells which.
///
/// Unlike `tokio::net::TcpListener::bind`, whose queue of connections not
/// yet accepted holds 128, the queue is as long as the system allows
/// (`net.core.somaxconn` on Linux, 4096 by default), as with Go: a server
/// that a thousand clients dial at once accepts them all instead of
/// dropping connection attempts, which the clients then retry a second or
/// more later. `SO_REUSEADDR` is set, as Go and Tokio set it.
///
/// Call it inside a goroutine (it needs a runtime's IO driver).
///
/// # Errors
///
/// An address that does not parse or resolve, or one that cannot be bound
/// (in use, not this machine's, not permitted): the error of the last
/// address tried.
///
/// # Examples
///
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// goro::run(async {
///     let listener = goro::net::listen("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     goro::go!(async move {
///         let (mut conn, _) = listener.accept().await.unwrap();
///         let mut buf = [0; 5];
///         conn.read_exact(&mut buf).await.unwrap();
///         conn.write_all(&buf).await.unwrap();
///     });
///     let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
///     conn.write_all(b"hello").await.unwrap();
///     let mut echo = [0; 5];
///     conn.read_exact(&mut echo).await.unwrap();
///     assert_eq!(&echo, b"hello");
/// });
/// ```
pub async fn listen(address: &str) -> io::Result<TcpListener> {
    let candidates = match address.strip_prefix(':') {
        Some(port) => {
            let port: u16 = port.parse().map_err(|_| bad_address(address))?;
            vec![
                SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
                SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
            ]
        }
        None => {
            let mut resolved: Vec<SocketAddr> = tokio::net::lookup_host(address)
                .await
                .map_err(|err| io::Error::new(err.kind(), format!("listen {address}: {err}")))?
                .collect();
            // IPv4 first, as Go's resolver orders them for a listener.
            resolved.sort_by_key(SocketAddr::is_ipv6);
            resolved
        }
    };
    let mut last = None;
    for addr in candidates {
        match bind(addr) {
            Ok(listener) => return Ok(listener),
            Err(err) => last = Some(err),
        }
    }
    Err(last.unwrap_or_else(|| bad_address(address)))
}

fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket
        .bind(addr)
        .map_err(|err| io::Error::new(err.kind(), format!("listen {addr}: {err}")))?;
    socket.listen(backlog())
}

fn bad_address(address: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("listen {address:?}: not an address: use host:port, [ipv6]:port or :port"),
    )
}

/// The longest queue of connections not yet accepted that the system
/// allows, read once: Linux's `net.core.somaxconn`, else 4096 (capped at
/// 65535, the most older kernels keep), as Go reads it.
fn backlog() -> u32 {
    static BACKLOG: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *BACKLOG.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(4096)
            .min(65535)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backlog_is_the_systems() {
        let expected = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .map(|t| t.trim().parse::<u32>().unwrap().min(65535))
            .unwrap_or(4096);
        assert_eq!(backlog(), expected);
    }
}
