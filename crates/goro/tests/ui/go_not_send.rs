use std::rc::Rc;

fn show(value: Rc<u32>) {
    println!("{value}");
}

fn main() {
    goro::run(async {
        goro::go!(show(Rc::new(1)));
    });
}
