//! The `UPDATE` behind `Bind::update` re-checks field-level rules in its `WHERE`: a field the
//! subject could write when the row was read, but may no longer write on the row as it is now
//! (another client changed it meanwhile), is not written and the request answers 409. Before
//! the fix only the action's scope was re-checked, so such a field was written.

mod common;

use common::{PG_URL, services_enabled};
use portcullis::db::{Pool, PoolConfig};
use portcullis::{Bind, Patch, Resource, Update, policy};

diesel::table! {
    notes (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        owner_id -> BigInt,
        title -> Text,
        body -> Text,
        locked -> Bool,
    }
}

#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = notes)]
pub struct Note {
    #[expose]
    pub id: i64,
    pub tenant_id: i64,
    pub owner_id: i64,
    #[expose]
    pub title: String,
    #[expose]
    pub body: String,
    #[resource(default)]
    pub locked: bool,
}

pub struct Member {
    pub id: i64,
    pub tenant_id: i64,
}

#[policy(Note, subject = Member)]
fn notes_policy(m: &Member) {
    allow!(read where tenant_id == m.tenant_id);
    // Anyone of the tenant may retitle; only the owner may rewrite the body, unless locked.
    allow!(update(title) where tenant_id == m.tenant_id);
    allow!(update(body) where tenant_id == m.tenant_id && owner_id == m.id);
    deny!(update(body) where locked);
}

const DDL: &str = "CREATE TABLE notes (id BIGINT PRIMARY KEY, tenant_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, locked BOOLEAN NOT NULL);
    INSERT INTO notes VALUES (1, 7, 1, 'title', 'body', FALSE);";

async fn pools() -> Vec<(&'static str, Pool)> {
    let path = std::env::temp_dir().join(format!(
        "portcullis-field-recheck-{}.sqlite",
        std::process::id()
    ));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let sqlite = Pool::connect(path.to_str().unwrap()).await.unwrap();
    sqlite
        .unscoped("test fixture")
        .batch_execute(DDL)
        .await
        .unwrap();
    let mut out = vec![("sqlite", sqlite)];
    if services_enabled() {
        let admin = Pool::connect(PG_URL)
            .await
            .expect("PostgreSQL is reachable");
        let schema = format!("field_recheck_{}", std::process::id());
        admin
            .unscoped("test fixture")
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
            ))
            .await
            .unwrap();
        let pg = Pool::connect_with(PoolConfig::new(PG_URL).schema(schema))
            .await
            .unwrap();
        pg.unscoped("test fixture")
            .batch_execute(DDL)
            .await
            .unwrap();
        out.push(("postgres", pg));
    }
    out
}

async fn body_of(pool: &Pool) -> String {
    let ability = notes_policy(&Member {
        id: 1,
        tenant_id: 7,
    });
    Bind::<Note, portcullis::Read>::load_str(&ability, pool, "1")
        .await
        .unwrap()
        .get()
        .body
        .clone()
}

#[tokio::test]
async fn a_field_permission_lost_before_the_write_is_not_written() {
    for (name, pool) in pools().await {
        let alice = notes_policy(&Member {
            id: 1,
            tenant_id: 7,
        });

        // Ownership moves away between the read and the write: the row stays in the update
        // scope (anyone may retitle) but `body` is no longer alice's to write.
        let bound = Bind::<Note, Update>::load_str(&alice, &pool, "1")
            .await
            .unwrap();
        pool.unscoped("test fixture")
            .batch_execute("UPDATE notes SET owner_id = 2 WHERE id = 1")
            .await
            .unwrap();
        let err = bound
            .update(
                Patch::from_json(br#"{"body":"overwritten"}"#).unwrap(),
                &pool,
            )
            .await
            .unwrap_err();
        assert_eq!(err.status(), 409, "{name}");
        assert_eq!(body_of(&pool).await, "body", "{name}: body was written");

        // The title is still alice's to change on the row as it is now.
        let bound = Bind::<Note, Update>::load_str(&alice, &pool, "1")
            .await
            .unwrap();
        let updated = bound
            .update(Patch::from_json(br#"{"title":"new"}"#).unwrap(), &pool)
            .await
            .unwrap();
        assert_eq!(updated.get().title, "new", "{name}");

        // A field-list deny that starts to match before the write removes the field too.
        pool.unscoped("test fixture")
            .batch_execute("UPDATE notes SET owner_id = 1 WHERE id = 1")
            .await
            .unwrap();
        let bound = Bind::<Note, Update>::load_str(&alice, &pool, "1")
            .await
            .unwrap();
        pool.unscoped("test fixture")
            .batch_execute("UPDATE notes SET locked = TRUE WHERE id = 1")
            .await
            .unwrap();
        let err = bound
            .update(
                Patch::from_json(br#"{"body":"while locked"}"#).unwrap(),
                &pool,
            )
            .await
            .unwrap_err();
        assert_eq!(err.status(), 409, "{name}");
        assert_eq!(body_of(&pool).await, "body", "{name}: body was written");
    }
}
