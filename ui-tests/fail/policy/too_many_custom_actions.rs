// One rule naming 61 custom actions; a policy has room for 60.
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

#[policy(Doc, subject = User)]
fn docs(user: &User) {
    allow!(A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15, A16, A17, A18, A19, A20, A21, A22, A23, A24, A25, A26, A27, A28, A29, A30, A31, A32, A33, A34, A35, A36, A37, A38, A39, A40, A41, A42, A43, A44, A45, A46, A47, A48, A49, A50, A51, A52, A53, A54, A55, A56, A57, A58, A59, A60);
}

fn main() {}
