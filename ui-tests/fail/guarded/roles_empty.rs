// `roles()` without a role.
use portcullis::guarded;

#[guarded(auth, roles())]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
