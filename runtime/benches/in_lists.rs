//! `in` lists in policies at 10, 1,000 and 100,000 values (issue 21): a scoped load of
//! `allow!(read where project_id in m.projects)` on SQLite against hand-written diesel-async
//! queries measured in the same run, on 10,000 tasks (2,500 projects, real titles):
//!
//! - `eq_any`: what one writes by hand (`project_id.eq_any(&ids)`, one parameter per value);
//!   it cannot run at 100,000 values (SQLite allows 32,766 parameters);
//! - `json_each`: the same `IN (SELECT value FROM json_each(?))` portcullis renders, written as
//!   a typed diesel fragment: the fair baseline at every size.
//!
//! Every list selects 100 existing projects (400 rows) or, at 10 values, 10 (40 rows).
//! Run with `cargo bench -p portcullis --bench in_lists`; the ratio table at the end comes
//! from paired, interleaved runs (medians per call).

use diesel::sql_types::{Bool, Text};
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use portcullis::db::Pool;
use portcullis::{Read, policy};
use std::hint::black_box;

mod support;
use support::{human, paired, smoke, sqlite_fixture};

// The tests' own entity (tests/tests/hostile_values.rs), with this bench's policy.
#[path = "../../tests/tests/common/tasks.rs"]
mod fixture;
use fixture::{Task, tasks};

#[derive(Debug, Clone)]
pub struct Member {
    pub projects: Vec<i64>,
}

#[policy(Task, subject = Member)]
pub fn task_policy(m: &Member) {
    allow!(read where project_id in m.projects);
}

const SCHEMA: &str = "CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id BIGINT NOT NULL,
    title TEXT NOT NULL);
    CREATE INDEX tasks_project ON tasks (project_id, id);";

/// 10,000 tasks: task `i` in project `i % 2,500`, a title of a few words.
fn seed_sql() -> String {
    let words = [
        "quarterly",
        "review",
        "migrate",
        "billing",
        "service",
        "onboarding",
        "customer",
        "roadmap",
        "incident",
        "follow-up",
        "contract",
        "renewal",
    ];
    let mut sql = String::from("INSERT INTO tasks (id, project_id, title) VALUES\n");
    for i in 0..10_000i64 {
        let w = |k: i64| words[((i * 7 + k * 3) % words.len() as i64) as usize];
        if i > 0 {
            sql.push_str(",\n");
        }
        sql.push_str(&format!(
            "({i}, {}, '{} {} {} #{i}')",
            i % 2_500,
            w(0),
            w(1),
            w(2)
        ));
    }
    sql.push(';');
    sql
}

/// `n` project ids of which 100 exist (10 when `n` is 10).
fn projects(n: usize) -> Vec<i64> {
    // 10 values: every 250th project; more: the first 100 multiples of 25, then ids that
    // match nothing.
    let step: i64 = if n <= 100 { 250 } else { 25 };
    let existing = n.min(100) as i64;
    (0..existing)
        .map(|i| i * step)
        .chain((existing..n as i64).map(|i| 1_000_000 + i))
        .collect()
}

async fn raw(pool: &Pool) -> portcullis::db::RawConnection<'_> {
    pool.unscoped("bench: hand-written baseline")
        .connection()
        .await
        .expect("connection")
}

async fn by_eq_any(pool: &Pool, ids: &[i64]) -> Vec<Task> {
    use diesel_async::RunQueryDsl;
    let portcullis::db::RawConnection::Sqlite(mut conn) = raw(pool).await else {
        unreachable!("the bench runs on SQLite")
    };
    tasks::table
        .filter(tasks::project_id.eq_any(ids))
        .select(Task::as_select())
        .load(&mut conn)
        .await
        .expect("eq_any load")
}

async fn by_json_each(pool: &Pool, ids: &[i64]) -> Vec<Task> {
    use diesel_async::RunQueryDsl;
    let json = serde_json::to_string(ids).expect("ids as JSON");
    let portcullis::db::RawConnection::Sqlite(mut conn) = raw(pool).await else {
        unreachable!("the bench runs on SQLite")
    };
    tasks::table
        .filter(
            diesel::dsl::sql::<Bool>("project_id IN (SELECT value FROM json_each(")
                .bind::<Text, _>(json)
                .sql("))"),
        )
        .select(Task::as_select())
        .load(&mut conn)
        .await
        .expect("json_each load")
}

fn main() {
    // `cargo test --benches` passes `--test`: one round each, as a smoke test.
    let smoke = smoke();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let path =
        std::env::temp_dir().join(format!("portcullis_in_lists_{}.sqlite", std::process::id()));
    let pool = sqlite_fixture(&rt, &path, SCHEMA, &(seed_sql() + "\nANALYZE;"));
    let mut rows = Vec::new();
    for n in [10usize, 1_000, 100_000] {
        let member = Member {
            projects: projects(n),
        };
        let ability = task_policy(&member);
        let mut ours_rows = rt
            .block_on(ability.scope::<Read>().query().load(&pool))
            .expect("scoped load");
        let mut base_rows = rt.block_on(by_json_each(&pool, &member.projects));
        ours_rows.sort_by_key(|t| t.id);
        base_rows.sort_by_key(|t| t.id);
        assert_eq!(ours_rows, base_rows, "same rows at {n} values");
        assert_eq!(ours_rows.len(), if n <= 100 { n * 4 } else { 400 });
        let rounds = if smoke {
            1
        } else if n == 100_000 {
            41
        } else {
            201
        };
        let ours = || {
            let ability = task_policy(black_box(&member));
            black_box(
                rt.block_on(ability.scope::<Read>().query().load(&pool))
                    .expect("load"),
            );
        };
        rows.push(paired(
            format!("{n} values vs json_each"),
            None,
            rounds,
            1,
            ours,
            || {
                black_box(rt.block_on(by_json_each(&pool, black_box(&member.projects))));
            },
        ));
        // What the scoped side spends before the database: building the ability and its SQL
        // (the list copied, NaN-filtered, JSON-encoded), against only encoding the JSON.
        rows.push(paired(
            format!("{n} values, SQL build only"),
            None,
            rounds,
            1,
            || {
                let ability = task_policy(black_box(&member));
                black_box(ability.scope::<Read>().sqlite_filter());
            },
            || {
                black_box(serde_json::to_string(black_box(&member.projects)).expect("json"));
            },
        ));
        if n <= 1_000 {
            rows.push(paired(
                format!("{n} values vs eq_any"),
                None,
                rounds,
                1,
                ours,
                || {
                    black_box(rt.block_on(by_eq_any(&pool, black_box(&member.projects))));
                },
            ));
        }
    }
    drop(pool);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    eprintln!("scoped `in` list vs hand-written, paired interleaved runs (medians per call)");
    eprintln!(
        "{:<28} {:>11} {:>13} {:>8}",
        "benchmark", "portcullis", "hand-written", "ratio"
    );
    for r in rows {
        eprintln!(
            "{:<28} {:>11} {:>13} {:>7.3}x",
            r.label,
            human(r.ours_ns),
            human(r.base_ns),
            r.ratio
        );
    }
}
