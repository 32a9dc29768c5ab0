// A guarded handler that is not `async`.
use portcullis::guarded;

#[guarded(public)]
fn list() -> &'static str {
    "ok"
}

fn main() {}
