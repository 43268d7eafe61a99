fn main() {
    goro::run(async {
        goro::go!(|| println!("hi"));
    });
}
