// The escape hatch `into_unguarded_router` taken without a reason.
use portcullis::guarded;
use portcullis::routing::get;

#[guarded(public)]
async fn health() -> &'static str {
    "ok"
}

fn main() {
    let app = portcullis::Router::<()>::new()
        .route("/health", get(health))
        .build()
        .unwrap();
    let _ = app.into_unguarded_router();
}
