fn main() {
    goro::run(async {
        let (_tx, rx) = goro::chan::<u32>(0);
        goro::select! {
            v = rx.recv() => drop(v),
            default => {}
            default => {}
        }
    });
}
