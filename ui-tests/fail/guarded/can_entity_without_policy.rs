// `can(read, Doc)` for an entity nobody wrote a policy for.
use portcullis::{Resource, guarded};

diesel::table! {
    docs (id) {
        id -> BigInt,
        owner -> BigInt,
        title -> Text,
        note -> Nullable<Text>,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = docs)]
pub struct Doc {
    #[expose]
    pub id: i64,
    pub owner: i64,
    #[expose]
    pub title: String,
    pub note: Option<String>,
}

#[derive(Clone)]
pub struct User {
    pub id: i64,
}

#[guarded(auth, can(read, Doc))]
async fn list() -> &'static str {
    "ok"
}

fn main() {}
