fn main() {
    goro::go!();
}
