use portcullis::{Resource, policy};

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

#[derive(portcullis::Action)]
pub struct Publish;

#[policy(Document, subject = User)]
pub fn documents(user: &User) {
    allow!(read where tenant_id == user.tenant_id && !archived);
    allow!(read(id, title) where tenant_id == user.tenant_id && archived);
    allow!(update(title) where tenant_id == user.tenant_id && (notes.is_none() || notes == "x"));
    allow!(Publish where tenant_id in [1, 2, 3] && title != "" && 0 < id);
    allow!(create, delete where tenant_id == {user.tenant_id});
    deny!(manage where title == "locked");
}

fn main() {
    let user = User { tenant_id: 1 };
    let ability = documents(&user);
    let _scope: portcullis::Scope<Document, portcullis::Read> = ability.scope();
    let _scope: portcullis::Scope<Document, Publish> = ability.scope();
}
