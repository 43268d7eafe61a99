fn main() {
    goro::run(async {
        goro::select! {
            default => {}
        }
    });
}
