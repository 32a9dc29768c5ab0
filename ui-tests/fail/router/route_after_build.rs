// A route added to the built `App`, after the guard checks ran.
use portcullis::guarded;
use portcullis::routing::get;

#[guarded(public)]
async fn health() -> &'static str {
    "ok"
}

async fn unguarded() -> &'static str {
    "every row"
}

fn main() {
    let app = portcullis::Router::<()>::new()
        .route("/health", get(health))
        .build()
        .unwrap();
    // A route added after the checks would be unguarded: the built app has no `route`.
    let _ = app.route("/x", axum::routing::get(unguarded));
}
