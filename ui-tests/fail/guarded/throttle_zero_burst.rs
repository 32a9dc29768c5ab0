// A throttle burst of zero.
use portcullis::guarded;

#[guarded(public, throttle = "60/min burst 0")]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
