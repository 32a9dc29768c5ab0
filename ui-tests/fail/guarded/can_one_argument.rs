// `can(Doc)` without the action.
use portcullis::guarded;

#[guarded(auth, can(Doc))]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
