// Something that is not an authenticator passed to `Router::authenticator`.
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

struct ApiKeys;

fn main() {
    let _ = portcullis::Router::<AppState>::new().authenticator(ApiKeys);
}
