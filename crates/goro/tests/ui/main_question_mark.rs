// `?` in main's body still points at the `?` when the error does not convert.
#[derive(Debug)]
struct MyError;

#[goro::main]
async fn main() -> Result<(), MyError> {
    let _n: i32 = "5".parse()?;
    Ok(())
}
