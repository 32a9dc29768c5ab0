// A misspelled guard option (`atuh` for `auth`).
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

#[guarded(atuh)]
async fn me(Principal(user): Principal<User>) -> String {
    user.id.to_string()
}

fn main() {}
