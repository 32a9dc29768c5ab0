// A throttle spec that is not `N/unit`.
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

#[guarded(public, throttle = "abc")]
async fn login() -> &'static str {
    "hi"
}

fn main() {}
