// A policy table names a field the entity does not have in `allow(..)`.
use portcullis::{Read, Resource, policy, policy_table};

diesel::table! { notes (id) { id -> BigInt, owner_id -> BigInt, body -> Text } }

#[derive(Clone, Resource, diesel::Queryable, diesel::Selectable)]
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
pub fn notes(user: &User) {
    allow!(read where owner_id == user.id);
}

fn main() {
    let note = Note { id: 1, owner_id: 1, body: String::new() };
    policy_table! {
        Note;
        subjects { alice: User { id: 1 } }
        rows { hers: note }
        actions [Read];
        alice hers => allow(titel);
    }
}
