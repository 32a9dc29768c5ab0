// A type that cannot check passwords used as the verifier of `Basic`.
use portcullis::authn::strategy::Basic;

#[derive(Clone)]
pub struct User {
    pub id: i64,
}

impl portcullis::guard::Identity for User {
    fn id(&self) -> String {
        self.id.to_string()
    }
}

#[derive(Clone)]
struct AppState;

impl portcullis::guard::HasPrincipal for AppState {
    type Principal = User;
}

struct Accounts;

fn main() {
    let _ = portcullis::Router::<AppState>::new().authenticator(Basic::new(Accounts));
}
