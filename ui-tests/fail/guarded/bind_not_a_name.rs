// `bind = note_id` without quotes: `bind` takes the parameter name as a string.
use portcullis::{Bind, Read, Resource, guarded, policy};

diesel::table! {
    notes (id) {
        id -> BigInt,
        owner -> BigInt,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = notes)]
pub struct Note {
    #[expose]
    pub id: i64,
    pub owner: i64,
}

pub struct User {
    pub id: i64,
}

#[policy(Note, subject = User)]
fn notes(user: &User) {
    allow!(read where owner == user.id);
}

// `bind` takes the parameter's name as a string.
#[guarded(auth, bind = note_id)]
async fn show(note: Bind<Note, Read>) -> String {
    format!("{note:?}")
}

fn main() {}
