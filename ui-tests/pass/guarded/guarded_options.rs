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

#[guarded(public, throttle = "5/min burst 10 per ip")]
async fn login() -> &'static str {
    "hi"
}

#[guarded(auth)]
async fn me(Principal(user): Principal<User>) -> String {
    user.id.to_string()
}

#[guarded(auth, roles(admin, owner), conceal, throttle = "60/min per user")]
async fn admin() -> &'static str {
    "admin"
}

#[guarded(public)]
async fn opaque() -> impl axum::response::IntoResponse {
    (http_status(), "opaque return types work")
}

fn http_status() -> axum::http::StatusCode {
    axum::http::StatusCode::ACCEPTED
}

#[derive(Clone)]
struct AppState;

impl portcullis::guard::HasPrincipal for AppState {
    type Principal = User;
}

fn main() {
    let router = portcullis::Router::<AppState>::new()
        .route("/login", portcullis::routing::post(login))
        .route("/me", get(me))
        .route("/admin", get(admin).delete(admin))
        .route("/opaque", get(opaque));
    assert_eq!(router.posture().routes.len(), 5);
}
