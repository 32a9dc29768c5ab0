// A route needing a principal on a state without `impl HasPrincipal`.
#![allow(unused_imports)]
use portcullis::routing::get;
use portcullis::{Principal, guarded};

#[derive(Clone)]
pub struct User {
    pub id: i64,
}

#[guarded(auth)]
async fn me(Principal(user): Principal<User>) -> String {
    user.id.to_string()
}

#[derive(Clone)]
struct AppState;

fn main() {
    let _ = portcullis::Router::<AppState>::new().route("/me", get(me));
}
