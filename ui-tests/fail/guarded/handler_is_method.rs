// `#[guarded]` on a method: handlers are free functions.
use portcullis::guarded;

pub struct Api;

impl Api {
    #[guarded(public)]
    async fn list(&self) -> &'static str {
        "ok"
    }
}

fn main() {}
