//! Where `go!` works: in a goro runtime, in any Tokio runtime (as a drop-in
//! for `tokio::spawn`), and outside any runtime.

#[test]
fn outside_any_runtime_a_process_wide_runtime_starts() {
    let handle = goro::go!(async { goro::id().is_some() });
    let in_goroutine = futures::executor::block_on(handle).unwrap();
    assert!(in_goroutine);
    let other = goro::spawn_blocking(|| 5);
    assert_eq!(futures::executor::block_on(other).unwrap(), 5);
    assert!(goro::gomaxprocs() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_a_tokio_runtime_go_spawns_there() {
    let runtime = tokio::runtime::Handle::current();
    let handle = goro::go!(async move {
        // The goroutine runs on the Tokio runtime it was started from.
        tokio::runtime::Handle::current().id() == runtime.id()
    });
    assert!(handle.await.unwrap());
    assert_eq!(goro::gomaxprocs(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn inside_a_tokio_runtime_panics_are_isolated_as_tokio_does() {
    let handle = goro::go!(async { panic!("tokio way") });
    let err = handle.await.unwrap_err();
    assert!(err.is_panic());
}

#[test]
fn tokio_libraries_work_in_goroutines() {
    goro::run(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = goro::go!(async move {
            use tokio::io::AsyncWriteExt;
            let (mut conn, _) = listener.accept().await.unwrap();
            conn.write_all(b"hello").await.unwrap();
        });
        use tokio::io::AsyncReadExt;
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut text = String::new();
        conn.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "hello");
        server.await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    });
}

/// Inside another Tokio runtime's `Handle::enter`, a goroutine or blocking
/// call started on a goro runtime's thread still goes to the goro runtime,
/// where it is counted.
#[test]
fn inside_another_runtimes_enter_go_stays_on_its_goro_runtime() {
    let other = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let other_id = other.handle().id();
    goro::run(async move {
        let own = tokio::runtime::Handle::current().id();
        assert_ne!(own, other_id);
        let (goroutine, call) = {
            let _inside = other.handle().enter();
            (
                goro::go!(async { tokio::runtime::Handle::current().id() }),
                goro::spawn_blocking(|| tokio::runtime::Handle::current().id()),
            )
        };
        assert_eq!(goroutine.await.unwrap(), own);
        assert_eq!(call.await.unwrap(), own);
        other.shutdown_background();
    });
}
