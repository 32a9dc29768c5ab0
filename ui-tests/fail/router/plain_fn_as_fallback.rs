// A plain `async fn` without `#[guarded(..)]` as the router's fallback.
async fn not_found() -> &'static str {
    "nothing here"
}

fn main() {
    let _ = portcullis::Router::<()>::new().fallback(not_found);
}
