// A plain `async fn` without `#[guarded(..)]` given to `portcullis::Router`.
#![allow(unused_imports)]
use portcullis::routing::get;
use portcullis::{Principal, guarded};

#[derive(Clone)]
pub struct User {
    pub id: i64,
}

impl portcullis::guard::Identity for User {
    fn id(&self) -> String {
        self.id.to_string()
    }
}

async fn list() -> &'static str {
    "unguarded"
}

fn main() {
    let _ = portcullis::Router::<()>::new().route("/docs", get(list));
}
