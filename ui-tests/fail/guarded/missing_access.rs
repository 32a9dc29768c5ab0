// `#[guarded(..)]` without `auth` or `public`.
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

#[guarded(throttle = "5/min")]
async fn login() -> &'static str {
    "hi"
}

fn main() {}
