#[goro::main(worker_threads = 0)]
async fn main() {}

#[goro::test(panic = "abort")]
async fn panics() {}

#[goro::test(flavour = "fast")]
async fn typo() {}
