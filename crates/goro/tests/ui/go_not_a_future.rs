fn main() {
    goro::run(async {
        let n = 5;
        goro::go!(n);
    });
}
