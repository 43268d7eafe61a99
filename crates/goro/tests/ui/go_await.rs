async fn work() -> u32 {
    1
}

fn main() {
    goro::run(async {
        goro::go!(work().await);
    });
}
