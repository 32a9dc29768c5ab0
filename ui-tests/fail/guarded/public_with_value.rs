// `public = true`: `public` is a flag.
use portcullis::guarded;

#[guarded(public = true)]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
