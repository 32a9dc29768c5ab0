// A principal type without `impl Identity` named by the state.
#[derive(Clone)]
pub struct User {
    pub id: i64,
}

#[derive(Clone)]
struct AppState;

impl portcullis::guard::HasPrincipal for AppState {
    type Principal = User;
}

fn main() {}
