// `Scoped` of an entity nobody wrote a policy for.
use portcullis::{Read, Resource, Scoped, guarded};

diesel::table! {
    notes (id) {
        id -> BigInt,
    }
}

// A resource nobody wrote a policy for.
#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = notes)]
pub struct Note {
    #[expose]
    pub id: i64,
}

#[guarded(auth)]
async fn list(notes: Scoped<Note, Read>) -> String {
    format!("{notes:?}")
}

fn main() {}
