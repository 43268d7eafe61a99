//! Pins the auto traits of every public type: a change that makes one of
//! them lose `Send`, `Sync` or `Unpin` fails to compile here.

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

fn send_future<F: std::future::Future + Send>(_: &F) {}

#[test]
fn public_types_are_send_sync_and_unpin() {
    send::<goro::JoinHandle<u32>>();
    sync::<goro::JoinHandle<u32>>();
    unpin::<goro::JoinHandle<u32>>();
    send::<goro::JoinError>();
    sync::<goro::GoroutineId>();
    send::<goro::Builder>();
    sync::<goro::Builder>();
    send::<goro::Goroutine>();
    send::<goro::BuildError>();
    sync::<goro::BuildError>();

    send::<goro::sync::WaitGroup>();
    sync::<goro::sync::WaitGroup>();
    send::<goro::sync::Wait<'static>>();
    unpin::<goro::sync::Wait<'static>>();

    send::<goro::chan::Sender<u32>>();
    sync::<goro::chan::Sender<u32>>();
    unpin::<goro::chan::Sender<u32>>();
    send::<goro::chan::Receiver<u32>>();
    sync::<goro::chan::Receiver<u32>>();
    unpin::<goro::chan::Receiver<u32>>();
    send::<goro::chan::Recv<'static, u32>>();
    unpin::<goro::chan::Recv<'static, u32>>();
    send::<goro::chan::Send<'static, u32>>();
    unpin::<goro::chan::Send<'static, u32>>();
    send::<goro::chan::SendError<u32>>();
    send::<goro::chan::TrySendError<u32>>();
    send::<goro::chan::TryRecvError>();
    // Futures that do not pin their values stay Unpin whatever T is.
    unpin::<goro::chan::Recv<'static, std::marker::PhantomPinned>>();
}

#[test]
fn goro_futures_are_send() {
    let (tx, rx) = goro::chan::<u32>(1);
    send_future(&tx.send(1));
    send_future(&rx.recv());
    send_future(&goro::blocking(|| 1));
    send_future(&goro::gosched());
    send_future(&goro::time::sleep(std::time::Duration::ZERO));
    let wg = goro::sync::WaitGroup::new();
    send_future(&wg.wait());
    let select = async {
        goro::select! {
            v = rx.recv() => v,
            default => None,
        }
    };
    send_future(&select);
}
