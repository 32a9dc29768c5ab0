//! `#[derive(Resource)]` on shapes that broke its expansion: required fields named like the
//! generated code's locals (`input`, `missing`, `name`, `value`, `patch`), and a resource whose
//! only field is its key (it generated `.set(())` / `.values(())`, which do not compile).

use portcullis::db::Pool;
use portcullis::{Bind, Insert, Patch, Read, Resource, Update, policy};

diesel::table! {
    odd (id) {
        id -> BigInt,
        input -> Text,
        missing -> Text,
        name -> Text,
        value -> BigInt,
        patch -> Text,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
    }
}

#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = odd)]
pub struct Odd {
    #[expose]
    pub id: i64,
    #[expose]
    pub input: String,
    #[expose]
    pub missing: String,
    #[expose]
    pub name: String,
    #[expose]
    pub value: i64,
    #[expose]
    pub patch: String,
}

#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = tags)]
pub struct Tag {
    #[expose]
    pub id: i64,
}

pub struct Anyone;

#[policy(Odd, subject = Anyone)]
fn odd_policy(_who: &Anyone) {
    allow!(read, create, update where value >= 0);
}

#[policy(Tag, subject = Anyone)]
fn tag_policy(_who: &Anyone) {
    allow!(read, create, update);
}

/// A database file of its own per call: the tests of this file run in parallel, and one
/// removing a shared file under another gave "disk I/O error".
async fn pool() -> (Pool, std::path::PathBuf) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(
        "portcullis-hygiene-{}-{n}.sqlite",
        std::process::id()
    ));
    let pool = Pool::connect(path.to_str().unwrap()).await.unwrap();
    pool.unscoped("test fixture")
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS odd (id INTEGER PRIMARY KEY, input TEXT NOT NULL,
            missing TEXT NOT NULL, name TEXT NOT NULL, value BIGINT NOT NULL, patch TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS tags (id INTEGER PRIMARY KEY);",
        )
        .await
        .unwrap();
    (pool, path)
}

#[tokio::test]
async fn fields_named_like_generated_locals_create_and_patch() {
    let (pool, path) = pool().await;
    let ability = odd_policy(&Anyone);
    let created = Insert::<Odd>::from_json(
        br#"{"input":"i","missing":"m","name":"n","value":3,"patch":"p"}"#,
    )
    .unwrap()
    .insert(&ability, &pool)
    .await
    .unwrap();
    let row = &created;
    assert_eq!(
        (
            row.input.as_str(),
            row.missing.as_str(),
            row.name.as_str(),
            row.value,
            row.patch.as_str()
        ),
        ("i", "m", "n", 3, "p")
    );
    // A missing required field is still named in the 422.
    let err = Insert::<Odd>::from_json(br#"{"input":"i","name":"n","value":3,"patch":"p"}"#)
        .unwrap()
        .insert(&ability, &pool)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert!(err.errors().iter().any(|e| e.field == "missing"), "{err:?}");

    let id = row.id.to_string();
    let bound = Bind::<Odd, Update>::load_str(&ability, &pool, &id)
        .await
        .unwrap();
    let updated = bound
        .update(
            Patch::from_json(br#"{"missing":"found","patch":"q"}"#).unwrap(),
            &pool,
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.get().missing.as_str(), updated.get().patch.as_str()),
        ("found", "q")
    );
    drop(pool);
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn a_resource_with_only_its_key_inserts_and_binds() {
    let (pool, path) = pool().await;
    let ability = tag_policy(&Anyone);
    let tag = Insert::<Tag>::from_json(b"{}")
        .unwrap()
        .insert(&ability, &pool)
        .await
        .unwrap();
    let id = tag.id.to_string();
    let bound = Bind::<Tag, Read>::load_str(&ability, &pool, &id)
        .await
        .unwrap();
    assert_eq!(bound.get().id, tag.id);
    let json = serde_json::to_string(&bound.shape()).unwrap();
    assert_eq!(json, format!(r#"{{"id":{id}}}"#));
    drop(pool);
    let _ = std::fs::remove_file(path);
}
