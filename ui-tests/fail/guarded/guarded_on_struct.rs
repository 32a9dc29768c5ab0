// `#[guarded]` on a struct instead of a handler function.
use portcullis::guarded;

#[guarded(public)]
pub struct Health;

fn main() {}
