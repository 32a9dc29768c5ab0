// axum's `get` (not `portcullis::routing::get`) given to `portcullis::Router`.
async fn list() -> &'static str {
    "unguarded"
}

fn main() {
    let _ = portcullis::Router::<()>::new().route("/docs", axum::routing::get(list));
}
