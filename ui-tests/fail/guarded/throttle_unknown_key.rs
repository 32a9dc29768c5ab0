// A throttle key other than `ip`, `user` or `route` (`per tenant`).
use portcullis::guarded;

#[guarded(public, throttle = "60/min per tenant")]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
