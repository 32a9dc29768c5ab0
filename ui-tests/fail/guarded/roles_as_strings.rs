// Roles written as strings (`"admin"`) instead of names (`admin`).
use portcullis::guarded;

#[guarded(auth, roles("admin"))]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
