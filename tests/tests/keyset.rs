//! Keyset (cursor) pagination over scopes on SQLite (and PostgreSQL with services on): walking
//! every page gives exactly the scope in order, cursors never widen, totals are bounded.

mod common;

use common::*;
use portcullis::Read;
use portcullis::page::{Cursor, PageError};

/// 60 documents of tenant 10 (every 7th archived, titles with duplicates), 25 of tenant 20.
fn seed() -> String {
    let mut sql = String::new();
    for i in 1..=85i64 {
        let tenant = if i <= 60 { 10 } else { 20 };
        let archived = i % 7 == 0;
        let title = format!("t{:02}", (i * 13) % 9);
        sql.push_str(&format!(
            "INSERT INTO documents (id, tenant_id, owner_id, title, body, archived) VALUES ({i}, {tenant}, 1, '{title}', 'body {i}', {archived});\n"
        ));
    }
    sql
}

async fn walk(
    db: &TestDb,
    query: impl Fn() -> portcullis::Query<Document, Read>,
    limit: u32,
) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut after: Option<Cursor> = None;
    for _ in 0..200 {
        let page = query()
            .page_after(after.as_ref(), limit, &db.pool)
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize, "{}", db.name);
        ids.extend(page.items.iter().map(|d| d.id));
        match page.next {
            // A cursor travels as text: round-trip it as a client would.
            Some(c) => after = Some(Cursor::parse("after", &c.to_string()).unwrap()),
            None => return ids,
        }
    }
    panic!("{}: pagination did not end", db.name);
}

#[tokio::test]
async fn walking_every_page_yields_exactly_the_scope_in_order() {
    for db in databases("keyset_walk", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(&seed())
            .await
            .unwrap();
        let scope = documents(&alice()).scope::<Read>();
        let all = scope.query().load(&db.pool).await.unwrap();
        assert_eq!(all.len(), 60, "{}", db.name);

        let mut by_id: Vec<i64> = all.iter().map(|d| d.id).collect();
        by_id.sort_unstable_by(|a, b| b.cmp(a));
        for limit in [1, 7, 60, 1000] {
            let got = walk(&db, || scope.query().order_by(|f| f.id.desc()), limit).await;
            assert_eq!(got, by_id, "{}: id desc, limit {limit}", db.name);
        }

        // Duplicated titles: the primary key breaks ties, nothing repeats or goes missing.
        let mut by_title: Vec<(String, i64)> =
            all.iter().map(|d| (d.title.clone(), d.id)).collect();
        by_title.sort();
        let got = walk(&db, || scope.query().order_by(|f| f.title.asc()), 4).await;
        assert_eq!(
            got,
            by_title.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
            "{}: title asc",
            db.name
        );
        let mut desc = by_title.clone();
        desc.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let got = walk(
            &db,
            || {
                scope
                    .query()
                    .order_by(|f| f.title.desc())
                    .order_by(|f| f.id.asc())
            },
            9,
        )
        .await;
        assert_eq!(
            got,
            desc.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
            "{}: title desc, id asc",
            db.name
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn cursors_are_validated_and_never_widen_the_scope() {
    for db in databases("keyset_cursor", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(&seed())
            .await
            .unwrap();
        let scope = documents(&alice()).scope::<Read>();
        let first = scope
            .query()
            .order_by(|f| f.id.desc())
            .page_after(None, 5, &db.pool)
            .await
            .unwrap();
        let next = first.next.expect("more pages");

        // A cursor from another ordering is refused, not reinterpreted.
        let err = scope
            .query()
            .order_by(|f| f.title.asc())
            .page_after(Some(&next), 5, &db.pool)
            .await
            .unwrap_err();
        assert!(matches!(err, PageError::Cursor(_)), "{}: {err}", db.name);
        let problem = portcullis::Problem::from(err);
        assert_eq!(problem.status(), 400);
        assert!(problem.detail().unwrap().contains("`after`"));

        // A forged cursor pointing past another tenant's rows still yields only our rows.
        let forged = forge("id-", serde_json::json!([1_000_000]));
        let page = scope
            .query()
            .order_by(|f| f.id.desc())
            .page_after(Some(&forged), 1000, &db.pool)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 60, "{}", db.name);
        assert!(page.items.iter().all(|d| d.tenant_id == 10), "{}", db.name);

        // Keys of the wrong type, or too many, are a cursor error, not a 500.
        for bad in [
            forge("id-", serde_json::json!(["x"])),
            forge("id-", serde_json::json!([1, 2])),
            forge("id-", serde_json::json!([true])),
        ] {
            let err = scope
                .query()
                .order_by(|f| f.id.desc())
                .page_after(Some(&bad), 5, &db.pool)
                .await
                .unwrap_err();
            assert!(matches!(err, PageError::Cursor(_)), "{}: {err}", db.name);
        }

        // The cursor's row may disappear; the next page still starts after its key.
        db.pool
            .unscoped("test fixture")
            .batch_execute("DELETE FROM documents WHERE id = 55")
            .await
            .unwrap();
        let after_deleted = forge("id-", serde_json::json!([55]));
        let page = scope
            .query()
            .order_by(|f| f.id.desc())
            .page_after(Some(&after_deleted), 2, &db.pool)
            .await
            .unwrap();
        assert_eq!(
            page.items.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![54, 53],
            "{}",
            db.name
        );
        db.cleanup().await;
    }
}

fn forge(order: &str, keys: serde_json::Value) -> Cursor {
    use base64::Engine as _;
    let json = serde_json::to_vec(&(order, keys)).unwrap();
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    Cursor::parse("after", &text).unwrap()
}

#[tokio::test]
async fn totals_are_opt_in_and_bounded() {
    for db in databases("keyset_total", SQLITE_SCHEMA, PG_SCHEMA).await {
        db.pool
            .unscoped("test fixture")
            .batch_execute(&seed())
            .await
            .unwrap();
        let scope = documents(&alice()).scope::<Read>();
        let plain = scope.query().page_after(None, 10, &db.pool).await.unwrap();
        assert_eq!(plain.total, None);
        let json = serde_json::to_value(scope.shape(plain)).unwrap();
        assert!(json.get("total").is_none(), "{json}");
        assert!(json["next"].is_string(), "{json}");

        let exact = scope
            .query()
            .with_total()
            .page_after(None, 10, &db.pool)
            .await
            .unwrap()
            .total
            .unwrap();
        assert_eq!((exact.count, exact.exact), (60, true), "{}", db.name);
        let at_cap = scope
            .query()
            .with_total_up_to(60)
            .page_after(None, 10, &db.pool)
            .await
            .unwrap()
            .total
            .unwrap();
        assert_eq!((at_cap.count, at_cap.exact), (60, true), "{}", db.name);
        let bounded = scope
            .query()
            .with_total_up_to(25)
            .page_after(None, 10, &db.pool)
            .await
            .unwrap();
        let total = bounded.total.unwrap();
        assert_eq!((total.count, total.exact), (25, false), "{}", db.name);
        let json = serde_json::to_value(scope.shape(bounded)).unwrap();
        assert_eq!(
            json["total"],
            serde_json::json!({"count": 25, "exact": false})
        );
        db.cleanup().await;
    }
}
