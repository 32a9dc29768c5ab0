// A guarded handler returning a type that is not a response.
use portcullis::guarded;

#[guarded(public)]
async fn list() -> std::time::Duration {
    std::time::Duration::ZERO
}

fn main() {}
