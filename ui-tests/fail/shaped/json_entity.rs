// An entity returned in `axum::Json` instead of through `Shaped`.
use portcullis::Resource;

diesel::table! {
    documents (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        title -> Text,
        archived -> Bool,
        notes -> Nullable<Text>,
    }
}

#[derive(Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = documents)]
pub struct Document {
    #[expose]
    pub id: i64,
    #[expose]
    pub tenant_id: i64,
    #[expose]
    pub title: String,
    pub archived: bool,
    pub notes: Option<String>,
}

pub struct User {
    pub tenant_id: i64,
}

fn show(doc: Document) -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::Json(doc))
}

fn main() {}
