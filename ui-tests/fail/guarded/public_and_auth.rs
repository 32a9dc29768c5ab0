// Both `public` and `auth` on one handler.
use portcullis::guarded;

#[guarded(public, auth)]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
