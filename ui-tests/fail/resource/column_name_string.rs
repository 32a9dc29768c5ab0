// `column_name = "title"` as a string instead of the column name `title`.
use portcullis::Resource;

diesel::table! {
    docs (id) {
        id -> BigInt,
        title -> Text,
    }
}

#[derive(Resource, diesel::Queryable)]
#[diesel(table_name = docs)]
pub struct Doc {
    pub id: i64,
    #[diesel(column_name = "title")]
    pub heading: String,
}

fn main() {}
