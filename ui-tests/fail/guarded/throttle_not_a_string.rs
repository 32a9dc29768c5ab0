// `throttle = 60` instead of a spec string such as `"60/min"`.
use portcullis::guarded;

#[guarded(public, throttle = 60)]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
