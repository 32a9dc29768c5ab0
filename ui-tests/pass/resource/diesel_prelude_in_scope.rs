//! The derive and policy must work in a module that imports diesel's prelude (diesel's own
//! advice), whose `RunQueryDsl` would clash with diesel-async's if generated code used methods.
use diesel::prelude::*;
use portcullis::{Resource, policy};

diesel::table! {
    notes (id) {
        id -> BigInt,
        owner_id -> BigInt,
        body -> Text,
    }
}

#[derive(Resource, Queryable, Selectable)]
#[diesel(table_name = notes)]
pub struct Note {
    #[expose]
    pub id: i64,
    pub owner_id: i64,
    #[expose]
    pub body: String,
}

pub struct User {
    pub id: i64,
}

#[policy(Note, subject = User)]
pub fn note_policy(user: &User) {
    allow!(read, update(body) where owner_id == user.id);
}

fn main() {
    let _ = notes::table.filter(notes::owner_id.eq(1));
    let _ = note_policy(&User { id: 1 }).scope::<portcullis::Read>();
}
