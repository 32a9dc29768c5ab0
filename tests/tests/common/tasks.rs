//! Tasks in projects: the entity of the `in` list tests (tests/tests/hostile_values.rs) and
//! of the `in` list bench (runtime/benches/in_lists.rs). Each writes its own subject and policy.

use portcullis::Resource;

diesel::table! {
    tasks (id) {
        id -> BigInt,
        project_id -> BigInt,
        title -> Text,
    }
}

#[derive(Debug, Clone, PartialEq, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = tasks)]
pub struct Task {
    #[expose]
    pub id: i64,
    #[expose]
    pub project_id: i64,
    #[expose]
    pub title: String,
}
