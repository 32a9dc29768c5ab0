// `user = User` instead of `subject = User`.
use portcullis::{Resource, policy};

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

#[policy(Doc, user = User)]
fn docs(user: &User) {
    allow!(read where owner == user.id);
}

fn main() {}
