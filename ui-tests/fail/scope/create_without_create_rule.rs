// `create.insert(..)` on an entity whose policy never allows `create`.
use portcullis::{Db, Insert, Resource, policy};

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

#[policy(Doc, subject = User)]
fn docs(user: &User) {
    allow!(read where owner == user.id);
}

async fn add(user: &User, db: Db, input: Insert<Doc>) {
    let _ = input.insert(&docs(user), &db).await;
}

fn main() {}
