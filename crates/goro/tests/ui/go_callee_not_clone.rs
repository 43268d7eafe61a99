fn main() {
    goro::run(async {
        let only = std::sync::Mutex::new(1);
        let once = move |n: u32| async move { drop(only.lock()); n };
        goro::go!(once(1));
    });
}
