// The access written as a string (`"auth"`).
use portcullis::guarded;

#[guarded("auth")]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
