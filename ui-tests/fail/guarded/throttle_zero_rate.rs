// A throttle of zero requests (`0/min`).
use portcullis::guarded;

#[guarded(public, throttle = "0/min")]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
