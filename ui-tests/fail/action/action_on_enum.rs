// `#[derive(Action)]` on an enum: each action is its own unit struct.
#[derive(portcullis::Action)]
pub enum Workflow {
    Publish,
    Archive,
}

fn main() {}
