// An empty throttle spec.
use portcullis::guarded;

#[guarded(public, throttle = "")]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
