// A fallback added to the built `App`, after the guard checks ran.
use portcullis::guarded;
use portcullis::routing::get;

#[guarded(public)]
async fn health() -> &'static str {
    "ok"
}

async fn not_found() -> &'static str {
    "nothing here"
}

fn main() {
    let app = portcullis::Router::<()>::new()
        .route("/health", get(health))
        .build()
        .unwrap();
    let _ = app.fallback(not_found);
}
