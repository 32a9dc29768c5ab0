// `bind.update(..)` on an entity whose policy never allows `update`.
use portcullis::{Bind, Db, Patch, Read, Resource, guarded, policy};

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

#[guarded(auth)]
async fn rename(doc: Bind<Doc, Read>, db: Db, patch: Patch<Doc>) -> String {
    let _ = doc.update(patch, &db).await;
    String::new()
}

fn main() {}
