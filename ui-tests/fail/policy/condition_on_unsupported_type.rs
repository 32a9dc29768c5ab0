// A condition on a field whose type has no condition support (`Vec<u8>`).
use portcullis::{Resource, policy};

diesel::table! {
    blobs (id) {
        id -> BigInt,
        data -> Binary,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = blobs)]
pub struct Blob {
    #[expose]
    pub id: i64,
    pub data: Vec<u8>,
}

pub struct User;

#[policy(Blob, subject = User)]
fn blobs(_user: &User) {
    allow!(read where data == {vec![1u8]});
}

fn main() {}
