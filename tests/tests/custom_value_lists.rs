//! `in` lists of an application's own condition type (issue 21): a newtype stored as a
//! built-in (`condition_value!(ProjectId as i64)`) gets one bound array of any length on every
//! backend, like the built-in it is stored as, and SQL agrees with `can` at 100,000 values.

mod common;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;
use portcullis::db::Pool;
use portcullis::{Policy, Read, Resource, policy};

/// A project id: an `i64` in the database, its own type in Rust.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    PartialOrd,
    serde::Serialize,
    serde::Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = BigInt)]
pub struct ProjectId(pub i64);

impl From<ProjectId> for i64 {
    fn from(id: ProjectId) -> i64 {
        id.0
    }
}

impl<DB: Backend> ToSql<BigInt, DB> for ProjectId
where
    i64: ToSql<BigInt, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0.to_sql(out)
    }
}

impl<DB: Backend> FromSql<BigInt, DB> for ProjectId
where
    i64: FromSql<BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        i64::from_sql(bytes).map(ProjectId)
    }
}

portcullis::condition_value!(ProjectId as i64);

diesel::table! {
    typed_tasks (id) {
        id -> BigInt,
        project_id -> BigInt,
    }
}

#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = typed_tasks)]
pub struct TypedTask {
    #[expose]
    pub id: i64,
    #[expose]
    pub project_id: ProjectId,
}

pub struct Member {
    pub projects: Vec<ProjectId>,
}

#[policy(TypedTask, subject = Member)]
pub fn typed_tasks(m: &Member) {
    allow!(read where project_id in m.projects);
}

const SQLITE: &str =
    "CREATE TABLE typed_tasks (id INTEGER PRIMARY KEY, project_id BIGINT NOT NULL);
    CREATE INDEX typed_tasks_project ON typed_tasks (project_id, id);";
const PG: &str = "CREATE TABLE typed_tasks (id BIGINT PRIMARY KEY, project_id BIGINT NOT NULL);
    CREATE INDEX typed_tasks_project ON typed_tasks (project_id, id);";

/// Task `i` is in project `i * 3`; 1,000 tasks.
async fn insert(pool: &Pool) {
    let values: Vec<String> = (0..1000).map(|i| format!("({i}, {})", i * 3)).collect();
    pool.unscoped("test fixture")
        .batch_execute(&format!(
            "INSERT INTO typed_tasks (id, project_id) VALUES {};",
            values.join(",")
        ))
        .await
        .expect("insert typed tasks");
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_of_a_newtype_stored_as_i64_have_no_length_limit() {
    for db in common::databases("custom_value_lists", SQLITE, PG).await {
        insert(&db.pool).await;
        for n in [0usize, 10, 40_000, 100_000] {
            // Every 7th id from -n/2 on: some are projects (multiples of 3), most are not.
            let projects: Vec<ProjectId> = (0..n as i64)
                .map(|i| ProjectId(i * 7 - n as i64 / 2))
                .collect();
            let want: Vec<i64> = (0..1000i64)
                .filter(|i| projects.contains(&ProjectId(i * 3)))
                .collect();
            let m = Member { projects };
            let mut got: Vec<i64> = TypedTask::scope_for::<Read>(&m)
                .query()
                .load(&db.pool)
                .await
                .unwrap_or_else(|e| panic!("{}: {n} project ids: {e}", db.name))
                .iter()
                .map(|t| t.id)
                .collect();
            got.sort_unstable();
            assert_eq!(got, want, "{}: {n} project ids", db.name);
            let ability = typed_tasks(&m);
            let by_can: Vec<i64> = (0..1000i64)
                .filter(|&i| {
                    ability.can::<Read>(&TypedTask {
                        id: i,
                        project_id: ProjectId(i * 3),
                    })
                })
                .collect();
            assert_eq!(by_can, want, "{}: can with {n} project ids", db.name);
        }
        db.cleanup().await;
    }
}
