// A guarded handler argument that is not an axum extractor.
use portcullis::guarded;
use portcullis::routing::get;

#[guarded(public)]
async fn show(id: i64, body: String) -> String {
    format!("{id} {body}")
}

fn main() {
    let _ = portcullis::Router::<()>::new().route("/docs", get(show));
}
