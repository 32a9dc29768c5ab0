//! Scopes, binding, shaping and writes on SQLite (and PostgreSQL with services on).

mod common;

use common::*;
use diesel::ExpressionMethods;
use portcullis::{Bind, Insert, Patch, Read, Update};

#[tokio::test]
async fn scope_loads_only_rows_the_policy_allows() {
    for db in databases("scope_load", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(SEED)
            .await
            .unwrap();
        let ability = documents(&alice());
        let rows = ability
            .scope::<Read>()
            .query()
            .order_by(|f| f.id.asc())
            .load(&db.pool)
            .await
            .unwrap();
        let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
        assert_eq!(ids, vec![1, 2, 3], "{}", db.name);
        for row in &rows {
            assert!(
                ability.can::<Read>(row),
                "{}: predicate disagrees on {}",
                db.name,
                row.id
            );
        }
        let count = ability
            .scope::<Read>()
            .query()
            .count(&db.pool)
            .await
            .unwrap();
        assert_eq!(count, 3, "{}", db.name);
        let other = documents(&mallory_other_tenant())
            .scope::<Read>()
            .query()
            .load(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            other.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![4],
            "{}",
            db.name
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn bind_answers_404_403_or_the_row_in_one_query() {
    for db in databases("scope_bind", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(SEED)
            .await
            .unwrap();
        let alice = documents(&alice());
        let doc = Bind::<Document, Read>::load(&alice, &db.pool, 1)
            .await
            .unwrap();
        assert_eq!(doc.get().title, "alice doc", "{}", db.name);
        let missing = Bind::<Document, Read>::load(&alice, &db.pool, 999)
            .await
            .unwrap_err();
        assert_eq!(missing.status(), 404, "{}", db.name);
        let other_tenant = Bind::<Document, Read>::load(&alice, &db.pool, 4)
            .await
            .unwrap_err();
        assert_eq!(other_tenant.status(), 403, "{}", db.name);
        let malformed = Bind::<Document, Read>::load_str(&alice, &db.pool, "1 OR 1=1")
            .await
            .unwrap_err();
        assert_eq!(malformed.status(), 400, "{}", db.name);
        // alice may not update bob's document: the update scope excludes it.
        let not_owner = Bind::<Document, Update>::load(&alice, &db.pool, 2)
            .await
            .unwrap_err();
        assert_eq!(not_owner.status(), 403, "{}", db.name);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn shaping_writes_only_exposed_and_permitted_fields() {
    for db in databases("scope_shape", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(SEED)
            .await
            .unwrap();
        let ability = documents(&alice());
        let rows = ability
            .scope::<Read>()
            .query()
            .order_by(|f| f.id.asc())
            .load(&db.pool)
            .await
            .unwrap();
        let json = serde_json::to_string(&ability.shape(rows)).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"[{"id":1,"tenantId":10,"ownerId":1,"title":"alice doc","body":"a"},"#,
                r#"{"id":2,"tenantId":10,"ownerId":2,"title":"bob doc","body":"b","reviewerId":1},"#,
                r#"{"id":3,"title":"old doc"}]"#
            ),
            "{}: archived rows show only (id, title); internal_notes never",
            db.name
        );
        let one = Bind::<Document, Read>::load(&ability, &db.pool, 1)
            .await
            .unwrap();
        let narrowed =
            serde_json::to_string(&one.shape().fields(|f| f.id | f.title | f.internal_notes))
                .unwrap();
        assert_eq!(narrowed, r#"{"id":1,"title":"alice doc"}"#, "{}", db.name);
        let page = ability
            .scope::<Read>()
            .query()
            .order_by(|f| f.id.desc())
            .paginate(1, 2, &db.pool)
            .await
            .unwrap();
        let json = serde_json::to_string(&ability.shape(page).fields(|f| f.id)).unwrap();
        assert_eq!(
            json,
            r#"{"items":[{"id":3},{"id":2}],"total":3,"page":1,"per_page":2,"pages":2}"#
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn patch_refuses_fields_the_policy_does_not_permit() {
    for db in databases("scope_patch", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(SEED)
            .await
            .unwrap();
        let alice = documents(&alice());
        let bind = Bind::<Document, Update>::load(&alice, &db.pool, 1)
            .await
            .unwrap();

        let refused =
            Patch::<Document>::from_json(br#"{"title":"x","tenantId":20,"archived":true}"#)
                .unwrap();
        let err = bind.update(refused, &db.pool).await.unwrap_err();
        assert_eq!(err.status(), 403, "{}", db.name);
        let fields: Vec<&str> = err.errors().iter().map(|e| e.field.as_ref()).collect();
        assert_eq!(fields, vec!["tenantId", "archived"], "{}", db.name);

        let unknown =
            Patch::<Document>::from_json(br#"{"title":"x","titel":"y","id":5}"#).unwrap_err();
        assert_eq!(unknown.status(), 422);
        let codes: Vec<(&str, &str)> = unknown
            .errors()
            .iter()
            .map(|e| (e.field.as_ref(), e.code.as_ref()))
            .collect();
        // serde_json objects are sorted by key, so errors come in key order.
        assert_eq!(codes, vec![("id", "read_only"), ("titel", "unknown_field")]);
        assert_eq!(
            Patch::<Document>::from_json(b"{not json")
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            Patch::<Document>::from_json(br#"{"title":5}"#)
                .unwrap_err()
                .status(),
            422
        );
        assert_eq!(
            Patch::<Document>::from_json(br#"[1]"#)
                .unwrap_err()
                .status(),
            422
        );

        // The row is unchanged after the refused patch, then a permitted one applies.
        let bind = Bind::<Document, Update>::load(&alice, &db.pool, 1)
            .await
            .unwrap();
        assert_eq!(
            (bind.get().tenant_id, bind.get().archived),
            (10, false),
            "{}",
            db.name
        );
        let ok = Patch::<Document>::from_json(br#"{"title":"renamed"}"#).unwrap();
        let updated = bind.update(ok, &db.pool).await.unwrap();
        assert_eq!(updated.get().title, "renamed", "{}", db.name);

        // Admins may also write internal notes (union of field lists).
        let admin = documents(&bob_admin());
        let bind = Bind::<Document, Update>::load(&admin, &db.pool, 1)
            .await
            .unwrap();
        let notes = Patch::<Document>::from_json(br#"{"internalNotes":null}"#).unwrap();
        assert_eq!(
            bind.update(notes, &db.pool)
                .await
                .unwrap()
                .get()
                .internal_notes,
            None,
            "{}",
            db.name
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn writes_recheck_the_scope_in_the_same_statement() {
    for db in databases("scope_toctou", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(SEED)
            .await
            .unwrap();
        let alice = documents(&alice());
        let bind = Bind::<Document, Update>::load(&alice, &db.pool, 1)
            .await
            .unwrap();
        // Between the read and the write the row is archived (update is denied on archived rows).
        db.pool
            .unscoped("test fixture")
            .batch_execute("UPDATE documents SET archived = TRUE WHERE id = 1")
            .await
            .unwrap();
        let err = bind
            .update(Patch::from_json(br#"{"title":"late"}"#).unwrap(), &db.pool)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 409, "{}", db.name);
        let admin = documents(&bob_admin());
        let row = Bind::<Document, Read>::load(&admin, &db.pool, 1)
            .await
            .unwrap();
        assert_eq!(
            row.get().title,
            "alice doc",
            "{}: the late write must not land",
            db.name
        );

        // Delete: admin in tenant 10 binds doc 2, then it moves to another tenant.
        let del = Bind::<Document, portcullis::Delete>::load(&admin, &db.pool, 2)
            .await
            .unwrap();
        db.pool
            .unscoped("test fixture")
            .batch_execute("UPDATE documents SET tenant_id = 99 WHERE id = 2")
            .await
            .unwrap();
        assert_eq!(
            del.delete(&db.pool).await.unwrap_err().status(),
            409,
            "{}",
            db.name
        );
        let del = Bind::<Document, portcullis::Delete>::load(&admin, &db.pool, 3)
            .await
            .unwrap();
        del.delete(&db.pool).await.unwrap();
        assert_eq!(
            Bind::<Document, Read>::load(&admin, &db.pool, 3)
                .await
                .unwrap_err()
                .status(),
            404
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn create_is_checked_against_the_create_rule_and_pins_subject_values() {
    for db in databases("scope_create", SQLITE_SCHEMA, PG_SCHEMA).await {
        let alice_ability = documents(&alice());
        let created = Insert::<Document>::from_json(br#"{"title":"new","body":"text"}"#)
            .unwrap()
            .insert(&alice_ability, &db.pool)
            .await
            .unwrap();
        assert_eq!(
            (created.tenant_id, created.owner_id, created.archived),
            (10, 1, false),
            "{}",
            db.name
        );
        assert!(created.id > 0);

        // Mass assignment: tenantId is not in create's field list.
        let err = Insert::<Document>::from_json(br#"{"title":"x","body":"y","tenantId":20}"#)
            .unwrap()
            .insert(&alice_ability, &db.pool)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 403, "{}", db.name);
        assert_eq!(err.errors()[0].field, "tenantId");

        let missing = Insert::<Document>::from_json(br#"{"title":"x"}"#)
            .unwrap()
            .check(&alice_ability)
            .unwrap_err();
        assert_eq!(missing.status(), 422);
        assert_eq!(missing.errors()[0].field, "body");
        let count = alice_ability
            .scope::<Read>()
            .query()
            .count(&db.pool)
            .await
            .unwrap();
        assert_eq!(count, 1, "{}: refused creates wrote nothing", db.name);
        db.cleanup().await;
    }
}

#[test]
fn decisions_follow_allow_minus_deny_with_field_unions() {
    let doc = |owner_id, archived| Document {
        id: 1,
        tenant_id: 10,
        owner_id,
        title: "t".into(),
        body: "b".into(),
        archived,
        internal_notes: None,
        reviewer_id: None,
    };
    let alice = documents(&alice());
    assert!(alice.can::<Update>(&doc(1, false)));
    assert!(
        !alice.can::<Update>(&doc(1, true)),
        "deny!(update where archived)"
    );
    assert!(!alice.can::<Update>(&doc(2, false)));
    assert!(
        !alice.can::<portcullis::Delete>(&doc(1, false)),
        "delete only for admins"
    );
    assert!(alice.can::<Archive>(&doc(1, false)));
    let fields: Vec<&str> = alice
        .permitted_fields::<Update>(&doc(1, false))
        .names()
        .collect();
    assert_eq!(fields, vec!["title", "body"]);
    let admin = documents(&bob_admin());
    let fields: Vec<&str> = admin
        .permitted_fields::<Update>(&doc(1, false))
        .names()
        .collect();
    assert_eq!(fields, vec!["title", "body", "internal_notes"]);
    assert!(admin.permitted_fields::<Update>(&doc(1, true)).is_empty());

    let why = alice.explain::<Update>(&doc(1, true));
    assert!(!why.allowed);
    assert_eq!(why.reason.code(), "denied_by_rule");
    assert_eq!(why.rules.len(), 1);
    assert_eq!(why.rules[0].text, "deny!(update where archived)");
    assert!(
        why.rules[0].file.ends_with("common/mod.rs"),
        "{}",
        why.rules[0].file
    );
    assert!(
        why.rules[0].line > 50,
        "line {} should be the rule's own line",
        why.rules[0].line
    );
    let granted = alice.explain::<Read>(&doc(2, false));
    assert_eq!(granted.reason.code(), "granted");
    assert_eq!(
        granted.rules[0].text,
        "allow!(read where tenant_id == user.tenant_id && !archived)"
    );
    let other = documents(&mallory_other_tenant()).explain::<Read>(&doc(1, false));
    assert_eq!(
        (other.allowed, other.reason.code(), other.rules.len()),
        (false, "no_grant", 2)
    );
}

#[tokio::test]
async fn narrowing_builders_and_scope_for() {
    use portcullis::Policy;
    for db in databases("scope_narrow", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(SEED)
            .await
            .unwrap();
        let scope = Document::scope_for::<Read>(&alice());
        let bobs = scope
            .query()
            .filter(documents::owner_id.eq(2))
            .load(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            bobs.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![2],
            "{}",
            db.name
        );
        // A filter cannot widen: tenant 20's row stays invisible even when asked for directly.
        let widen = scope
            .query()
            .filter(documents::tenant_id.eq(20))
            .exists(&db.pool)
            .await
            .unwrap();
        assert!(!widen, "{}", db.name);
        let first = scope
            .query()
            .order_by(|f| f.title.desc())
            .first(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            first.map(|d| d.id),
            Some(3),
            "{}: 'old doc' sorts last-first",
            db.name
        );
        let window = scope
            .query()
            .order_by(|f| f.id.asc())
            .limit(1)
            .offset(1)
            .load(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            window.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![2],
            "{}",
            db.name
        );
        assert!(
            scope
                .query()
                .filter(documents::title.eq("alice doc"))
                .exists(&db.pool)
                .await
                .unwrap()
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn concealed_resources_answer_404_for_rows_out_of_scope() {
    for db in databases("scope_conceal", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(SEED)
            .await
            .unwrap();
        let ability = hidden_documents(&alice());
        let other = Bind::<HiddenDocument, Read>::load(&ability, &db.pool, 4)
            .await
            .unwrap_err();
        let missing = Bind::<HiddenDocument, Read>::load(&ability, &db.pool, 999)
            .await
            .unwrap_err();
        assert_eq!(
            (other.status().as_u16(), missing.status().as_u16()),
            (404, 404),
            "{}",
            db.name
        );
        assert_eq!(
            other.body(),
            missing.body(),
            "{}: indistinguishable bodies",
            db.name
        );
        db.cleanup().await;
    }
}

/// Every narrowing filter is parenthesized in the SQL: an `OR` inside a raw-SQL fragment, a
/// `sql` literal or a nested diesel expression cannot escape the scope's conjunction. Before
/// the fix `scope AND 1 = 1 OR 1 = 1` returned every tenant's rows on SQLite.
#[tokio::test]
async fn narrowing_filters_with_or_inside_cannot_widen() {
    use diesel::BoolExpressionMethods;
    use diesel::dsl::sql;
    use diesel::sql_types::Bool;
    for db in databases("scope_or_filters", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(SEED)
            .await
            .unwrap();
        let scope = documents(&alice()).scope::<Read>();
        let visible = |rows: Vec<Document>| rows.iter().map(|d| d.id).collect::<Vec<_>>();
        let all = visible(
            scope
                .query()
                .order_by(|f| f.id.asc())
                .load(&db.pool)
                .await
                .unwrap(),
        );
        assert_eq!(all, vec![1, 2, 3], "{}", db.name);
        let raw = scope
            .query()
            .filter(sql::<Bool>("1 = 1 OR 1 = 1"))
            .order_by(|f| f.id.asc())
            .load(&db.pool)
            .await
            .unwrap();
        assert_eq!(visible(raw), all, "{}: raw OR widened the scope", db.name);
        let two_raw = scope
            .query()
            .filter(sql::<Bool>("documents.tenant_id = 20 OR 1 = 0"))
            .filter(sql::<Bool>("1 = 0 OR documents.tenant_id = 20"))
            .load(&db.pool)
            .await
            .unwrap();
        assert!(two_raw.is_empty(), "{}: {:?}", db.name, visible(two_raw));
        let nested = scope
            .query()
            .filter(
                documents::tenant_id
                    .eq(20)
                    .or(documents::owner_id.eq(1).and(documents::tenant_id.eq(20)))
                    .or(sql::<Bool>("TRUE OR FALSE")),
            )
            .order_by(|f| f.id.asc())
            .load(&db.pool)
            .await
            .unwrap();
        assert_eq!(visible(nested), all, "{}", db.name);
        let count = scope
            .query()
            .filter(sql::<Bool>("1 = 1 OR 1 = 1"))
            .count(&db.pool)
            .await
            .unwrap();
        assert_eq!(count, 3, "{}", db.name);
        db.cleanup().await;
    }
}

/// The scoped SELECT is a prepared statement that SQLite keeps in diesel's statement cache:
/// prepared once per connection, not on every request. diesel refuses to cache a statement
/// with any `sql()` literal in it, which the `TRUE`/`FALSE` of rule sets used to be.
#[tokio::test]
async fn scoped_queries_are_prepared_once_per_connection() {
    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use diesel_async::AsyncConnection;
    use portcullis::db::{Pool, PoolConfig};
    use std::sync::{Arc, Mutex};

    struct Prepared(Arc<Mutex<Vec<String>>>);
    impl Instrumentation for Prepared {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                self.0.lock().unwrap().push(sql.to_owned());
            }
        }
    }

    let path = std::env::temp_dir().join(format!(
        "portcullis-stmt-cache-{}.sqlite",
        std::process::id()
    ));
    let pool = Pool::connect_with(PoolConfig::new(path.to_str().unwrap()).max_size(1))
        .await
        .unwrap();
    pool.unscoped("test fixture")
        .batch_execute(SQLITE_SCHEMA)
        .await
        .unwrap();
    pool.unscoped("test fixture")
        .batch_execute(SEED)
        .await
        .unwrap();
    let cached = Arc::new(Mutex::new(Vec::new()));
    match pool
        .unscoped("test: instrument the pool's one connection")
        .connection()
        .await
        .unwrap()
    {
        portcullis::db::RawConnection::Sqlite(mut conn) => {
            conn.set_instrumentation(Prepared(cached.clone()))
        }
        _ => unreachable!(),
    }
    // Two rule sets that differ only in subject values, and an admin one with other rules.
    for user in [alice(), alice(), bob_admin(), alice()] {
        let scope = documents(&user).scope::<portcullis::Delete>();
        scope.query().load(&pool).await.unwrap();
        let scope = documents(&user).scope::<Read>();
        for _ in 0..3 {
            let rows = scope
                .query()
                .filter(documents::owner_id.eq(1))
                .order_by(|f| f.id.desc())
                .load(&pool)
                .await
                .unwrap();
            assert!(!rows.is_empty());
        }
    }
    let cached = cached.lock().unwrap().clone();
    let selects: Vec<&String> = cached
        .iter()
        .filter(|sql| sql.contains("FROM `documents`"))
        .collect();
    // One read statement (the same SQL for every subject) and the delete scopes: FALSE for
    // members, the tenant test for admins.
    assert_eq!(selects.len(), 3, "{selects:#?}");
    drop(pool);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
