// `roles(..)` on a `public` handler, which has no principal to have roles.
use portcullis::guarded;

#[guarded(public, roles(admin))]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
