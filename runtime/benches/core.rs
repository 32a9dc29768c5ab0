//! Criterion benchmarks of the core against hand-written baselines measured in the same run
//! (issue 3, item 8):
//!
//! - `decision`: `ability.can::<Update>(&doc)` vs a hand-written `if` (target ≤ 1.5×);
//! - `shaper`: `serde_json::to_writer` of `Shaped<Document>` / `Shaped<Vec<Document>>` (1 and
//!   1,000 rows) vs `#[derive(Serialize)]` on a twin struct with the same fields (target ≤ 1.1×);
//! - `query`: a 1,000-row scoped load on SQLite vs the hand-written diesel-async query with the
//!   same `WHERE` (target ≤ 1.05×).
//!
//! Run with `cargo bench -p portcullis --bench core`. Criterion reports each side; the ratio
//! table printed at the end comes from a separate paired run per comparison (the two sides
//! interleaved in alternating batches, medians over the rounds), so background load on the
//! machine affects both sides alike instead of skewing whichever ran later.

use criterion::{BenchmarkId, Criterion, Throughput};
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use portcullis::db::Pool;
use portcullis::{Read, Update};
use std::hint::black_box;
use std::time::Duration;

// ---- the tests' own schema, entity and policy, so the bench measures exactly what is tested ----

#[path = "../../tests/tests/common/mod.rs"]
mod common;
use common::{Document, SQLITE_SCHEMA, User, documents};

mod support;
use support::{Ratio, human, paired, rounds, sqlite_fixture};

/// The hand-written twin: the same exposed fields, same JSON names, same order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentOut {
    id: i64,
    tenant_id: i64,
    owner_id: i64,
    title: String,
    body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reviewer_id: Option<i64>,
}

impl From<&Document> for DocumentOut {
    fn from(d: &Document) -> Self {
        Self {
            id: d.id,
            tenant_id: d.tenant_id,
            owner_id: d.owner_id,
            title: d.title.clone(),
            body: d.body.clone(),
            reviewer_id: d.reviewer_id,
        }
    }
}

/// The same update decision, written by hand on the same structs.
#[inline]
fn can_update_by_hand(user: &User, doc: &Document) -> bool {
    doc.tenant_id == user.tenant_id && (doc.owner_id == user.id || user.is_admin()) && !doc.archived
}

/// The subject of every benchmark: an admin, so every rule of the policy is collected.
fn bob_admin() -> User {
    User {
        id: 2,
        tenant_id: 10,
        admin: true,
    }
}

fn doc(id: i64, tenant_id: i64, owner_id: i64, archived: bool) -> Document {
    Document {
        id,
        tenant_id,
        owner_id,
        title: format!("Quarterly report #{id} — draft"),
        body: format!(
            "Body of document {id}: revenue, costs and \"notes\" for the quarter; \
             owner {owner_id}, tenant {tenant_id}. Lorem ipsum dolor sit amet."
        ),
        archived,
        internal_notes: (id % 3 == 0).then(|| format!("internal note {id}")),
        reviewer_id: (id % 2 == 0).then_some(id + 7),
    }
}

// ---- paired measurement for the ratios: runtime/benches/support ----------------------------------

// ---- 1. decision -------------------------------------------------------------------------------

fn bench_decision(c: &mut Criterion, out: &mut Vec<Ratio>) {
    let user = bob_admin();
    let ability = documents(black_box(&user));
    let dyn_ability = documents(black_box(&user)).into_dyn();
    // Granted (own), granted (admin), denied (archived), no grant (other tenant).
    let docs = [
        doc(1, 10, 2, false),
        doc(2, 10, 1, false),
        doc(3, 10, 2, true),
        doc(4, 20, 2, false),
    ];
    for d in &docs {
        assert_eq!(ability.can::<Update>(d), can_update_by_hand(&user, d));
        assert_eq!(dyn_ability.can::<Update>(d), can_update_by_hand(&user, d));
    }
    let user = black_box(&user);
    // One iteration = the four decisions.
    let ours = || {
        for d in black_box(&docs) {
            black_box(ability.can::<Update>(d));
        }
    };
    let ours_dyn = || {
        for d in black_box(&docs) {
            black_box(dyn_ability.can::<Update>(d));
        }
    };
    let base = || {
        for d in black_box(&docs) {
            black_box(can_update_by_hand(user, d));
        }
    };

    let mut g = c.benchmark_group("decision");
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.bench_function("portcullis", |b| b.iter(ours));
    g.bench_function("portcullis_dyn", |b| b.iter(ours_dyn));
    g.bench_function("hand_written", |b| b.iter(base));
    g.finish();

    out.push(paired(
        "decision (x4)",
        Some(1.5),
        rounds(201),
        100_000,
        ours,
        base,
    ));
    out.push(paired(
        "decision, into_dyn (x4)",
        None,
        rounds(201),
        100_000,
        ours_dyn,
        base,
    ));
}

// ---- 2. shaper ---------------------------------------------------------------------------------

fn write_json<T: serde::Serialize>(value: &T, out: &mut Vec<u8>) {
    out.clear();
    serde_json::to_writer(&mut *out, black_box(value)).expect("serialize");
    black_box(out.len());
}

fn bench_shaper(c: &mut Criterion, out: &mut Vec<Ratio>) {
    let ability = documents(&bob_admin());
    let mut g = c.benchmark_group("shaper");
    let mut buf_a = Vec::new();
    let mut buf_b = Vec::new();

    // One entity: `Shaped<Document>` vs one twin struct.
    let row = doc(1, 10, 2, false);
    let twin = DocumentOut::from(&row);
    let shaped = ability.shape(row);
    assert_eq!(
        serde_json::to_vec(&shaped).expect("shaped"),
        serde_json::to_vec(&twin).expect("twin"),
        "same JSON"
    );
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("portcullis", 1), |b| {
        b.iter(|| write_json(&shaped, &mut buf_a))
    });
    g.bench_function(BenchmarkId::new("serde_derive", 1), |b| {
        b.iter(|| write_json(&twin, &mut buf_b))
    });
    out.push(paired(
        "shaper, 1 row",
        Some(1.1),
        rounds(201),
        5_000,
        || write_json(&shaped, &mut buf_a),
        || write_json(&twin, &mut buf_b),
    ));

    // A list: `Shaped<Vec<Document>>` vs `Vec<twin>`.
    let rows: Vec<Document> = (1..=1000).map(|i| doc(i, 10, 1 + i % 5, false)).collect();
    let twins: Vec<DocumentOut> = rows.iter().map(DocumentOut::from).collect();
    let shaped = ability.shape(rows);
    assert_eq!(
        serde_json::to_vec(&shaped).expect("shaped"),
        serde_json::to_vec(&twins).expect("twin"),
        "same JSON"
    );
    g.throughput(Throughput::Elements(1000));
    g.bench_function(BenchmarkId::new("portcullis", 1000), |b| {
        b.iter(|| write_json(&shaped, &mut buf_a))
    });
    g.bench_function(BenchmarkId::new("serde_derive", 1000), |b| {
        b.iter(|| write_json(&twins, &mut buf_b))
    });
    g.finish();
    out.push(paired(
        "shaper, 1,000 rows",
        Some(1.1),
        rounds(201),
        5,
        || write_json(&shaped, &mut buf_a),
        || write_json(&twins, &mut buf_b),
    ));
}

// ---- 3. query ----------------------------------------------------------------------------------

/// 1,000 rows of the subject's tenant (10) and 1,000 of another tenant (20), none archived.
fn seed_sql() -> String {
    let mut sql = String::from(
        "INSERT INTO documents (tenant_id, owner_id, title, body, archived, internal_notes, reviewer_id) VALUES\n",
    );
    let mut first = true;
    for tenant in [10i64, 20] {
        for i in 0..1000i64 {
            let d = doc(i, tenant, 1 + i % 5, false);
            if !first {
                sql.push_str(",\n");
            }
            first = false;
            let q = |s: &str| format!("'{}'", s.replace('\'', "''"));
            sql.push_str(&format!(
                "({}, {}, {}, {}, FALSE, {}, {})",
                d.tenant_id,
                d.owner_id,
                q(&d.title),
                q(&d.body),
                d.internal_notes.as_deref().map_or("NULL".to_owned(), q),
                d.reviewer_id.map_or("NULL".to_owned(), |r| r.to_string()),
            ));
        }
    }
    sql.push(';');
    sql
}

/// The hand-written `WHERE` (a macro so the statically typed expression needs no spelled-out type).
macro_rules! hand_where {
    ($tenant:expr) => {
        documents::tenant_id.eq($tenant)
    };
}

/// The hand-written query: the read scope of `documents` for a tenant-10 subject, statically
/// typed, with the SQL the simplified rule set renders (printed at start-up): `tenant_id = ?`.
async fn load_by_hand(pool: &Pool, tenant: i64) -> Vec<Document> {
    use diesel_async::RunQueryDsl;
    // A counter and a disabled log line: tens of nanoseconds against the load.
    let portcullis::db::RawConnection::Sqlite(mut conn) = pool
        .unscoped("bench: hand-written baseline")
        .connection()
        .await
        .expect("connection")
    else {
        unreachable!("the bench runs on SQLite")
    };
    documents::table
        .filter(hand_where!(tenant))
        .select(Document::as_select())
        .load(&mut conn)
        .await
        .expect("hand-written load")
}

fn bench_query(c: &mut Criterion, out: &mut Vec<Ratio>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let path = std::env::temp_dir().join(format!("portcullis_bench_{}.sqlite", std::process::id()));
    let user = bob_admin();
    let ability = documents(&user);
    let pool = sqlite_fixture(&rt, &path, SQLITE_SCHEMA, &seed_sql());

    // Same SQL and same rows both ways.
    let scope = ability.scope::<Read>();
    let ours_sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(
        &documents::table
            .filter(scope.sqlite_filter())
            .select(Document::as_select()),
    )
    .to_string();
    let base_sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(
        &documents::table
            .filter(hand_where!(user.tenant_id))
            .select(Document::as_select()),
    )
    .to_string();
    eprintln!("query: {ours_sql}");
    // The simplified rule set is the hand-written WHERE (portcullis parenthesizes operands).
    let strip = |s: &str| s.replace(['(', ')'], "");
    assert_eq!(strip(&ours_sql), strip(&base_sql), "same SQL");
    let ours_rows = rt
        .block_on(scope.query().load(&pool))
        .expect("portcullis load");
    assert_eq!(ours_rows.len(), 1000);
    assert_eq!(
        ours_rows,
        rt.block_on(load_by_hand(&pool, user.tenant_id)),
        "same rows"
    );

    let ours = || {
        let rows = rt
            .block_on(ability.scope::<Read>().query().load(&pool))
            .expect("load");
        black_box(rows);
    };
    let base = || {
        black_box(rt.block_on(load_by_hand(&pool, black_box(user.tenant_id))));
    };

    let mut g = c.benchmark_group("query");
    g.throughput(Throughput::Elements(1000));
    g.sample_size(30);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(4));
    g.bench_function("portcullis", |b| b.iter(ours));
    g.bench_function("diesel", |b| b.iter(base));
    g.finish();
    out.push(paired(
        "query, 1,000 rows",
        Some(1.05),
        rounds(201),
        2,
        ours,
        base,
    ));

    drop(pool);
    drop(rt);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Building a scope's SQL per request: collecting the admin's rule set, simplifying it and
/// rendering the boxed filter (what every scoped query pays before it reaches the database),
/// against boxing the hand-written `WHERE` it simplifies to.
fn bench_scope_build(c: &mut Criterion, out: &mut Vec<Ratio>) {
    let user = bob_admin();
    let ours = || {
        let scope = documents(black_box(&user)).scope::<Read>();
        black_box(scope.sqlite_filter());
    };
    let base = || {
        let filter: portcullis::sql::BoxedFilter<documents::table, diesel::sqlite::Sqlite> =
            Box::new(hand_where!(black_box(&user).tenant_id));
        black_box(filter);
    };
    let mut g = c.benchmark_group("scope_build");
    g.bench_function("portcullis", |b| b.iter(ours));
    g.bench_function("hand_written", |b| b.iter(base));
    g.finish();
    out.push(paired(
        "scope SQL build",
        None,
        rounds(2001),
        200,
        ours,
        base,
    ));
}

// ---- ratios ------------------------------------------------------------------------------------

fn print_ratios(rows: &[Ratio]) {
    eprintln!();
    eprintln!("portcullis vs hand-written, paired interleaved runs (medians per call)");
    eprintln!(
        "{:<26} {:>13} {:>13} {:>8} {:>7}  verdict",
        "benchmark", "portcullis", "hand-written", "ratio", "target"
    );
    for r in rows {
        let (target, verdict) = match r.target {
            Some(t) if r.ratio <= t => (format!("{t:.2}x"), "ok"),
            Some(t) => (format!("{t:.2}x"), "MISSED"),
            None => ("-".to_owned(), "-"),
        };
        eprintln!(
            "{:<26} {:>13} {:>13} {:>7.3}x {target:>7}  {verdict}",
            r.label,
            human(r.ours_ns),
            human(r.base_ns),
            r.ratio
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut ratios = Vec::new();
    bench_decision(&mut c, &mut ratios);
    bench_shaper(&mut c, &mut ratios);
    bench_query(&mut c, &mut ratios);
    bench_scope_build(&mut c, &mut ratios);
    c.final_summary();
    print_ratios(&ratios);
}
