// `#[derive(Action)]` on a struct with fields: an action is a unit struct.
#[derive(portcullis::Action)]
pub struct Publish {
    pub at: i64,
}

fn main() {}
