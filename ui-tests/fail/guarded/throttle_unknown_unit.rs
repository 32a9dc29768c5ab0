// A throttle unit that does not exist (`week`).
use portcullis::guarded;

#[guarded(public, throttle = "60/week")]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
