//! Hostile values in conditions (issue 21): float columns and subject values drawn from NaN,
//! ±0, ±∞, the smallest subnormal and ±1e308, and `in` lists far longer than SQLite's limit of
//! bound variables. For every subject and every rule, the rows a scoped list returns are exactly
//! the rows `can` accepts (promise 2), on SQLite and (with `PORTCULLIS_TEST_SERVICES=1`)
//! PostgreSQL.

mod common;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portcullis::db::{Pool, RawConnection};
use portcullis::testing::IndexCheck;
use portcullis::{Action, Policy, Read, Resource, policy};

// ---- floats -------------------------------------------------------------------------------------

diesel::table! {
    hv (id) {
        id -> BigInt,
        x -> Double,
        y -> Nullable<Double>,
        z -> Float,
    }
}

#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = hv)]
pub struct Hv {
    #[expose]
    pub id: i64,
    pub x: f64,
    pub y: Option<f64>,
    pub z: f32,
}

#[derive(Debug, Clone)]
pub struct FloatUser {
    pub t: f64,
    pub ot: Option<f64>,
    pub u: f32,
    pub list: Vec<f64>,
}

macro_rules! actions {
    ($($a:ident),*) => { $( #[derive(Action)] pub struct $a; )* };
}
actions!(
    YLtT, XGe0, XEqT, XNeT, NotYGeT, NotXNeT, YNeT, NotXGtT, XLeOt, ZNeU, ZGeU, XInList,
    NotYInList, XGtNeg0, Mixed
);

#[policy(Hv, subject = FloatUser)]
pub fn hv_policy(user: &FloatUser) {
    allow!(read where x > user.t);
    allow!(YLtT where y < user.t);
    allow!(XGe0 where x >= 0.0);
    allow!(XEqT where x == user.t);
    allow!(XNeT where x != user.t);
    allow!(NotYGeT where !(y >= user.t));
    allow!(NotXNeT where !(x != user.t));
    allow!(YNeT where y != user.t);
    allow!(NotXGtT where !(x > user.t));
    allow!(XLeOt where x <= user.ot);
    allow!(ZNeU where z != user.u);
    allow!(ZGeU where z >= user.u);
    allow!(XInList where x in user.list);
    allow!(NotYInList where !(y in user.list));
    allow!(XGtNeg0 where x > -0.0);
    allow!(Mixed where (x != user.t || y > user.t) && !(y <= 1.5 && z < user.u));
}

const HOSTILE: [f64; 11] = [
    f64::NAN,
    -0.0,
    0.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    5e-324, // the smallest subnormal
    1e308,
    -1e308,
    1.5,
    -2.0,
    7.25,
];

const FLOAT_SQLITE: &str =
    "CREATE TABLE hv (id INTEGER PRIMARY KEY, x REAL NOT NULL, y REAL, z REAL NOT NULL);";
const FLOAT_PG: &str = "CREATE TABLE hv (id BIGINT PRIMARY KEY, x DOUBLE PRECISION NOT NULL,
    y DOUBLE PRECISION, z REAL NOT NULL);";

/// Every (x, y) pair of hostile values (y also NULL); z follows x as an `f32`.
fn float_rows() -> Vec<(i64, f64, Option<f64>, f32)> {
    let ys = std::iter::once(None).chain(HOSTILE.iter().copied().map(Some));
    let mut out = Vec::new();
    for y in ys {
        for &x in &HOSTILE {
            out.push((out.len() as i64 + 1, x, y, x as f32));
        }
    }
    out
}

/// Inserts the rows one by one; SQLite cannot store NaN (it becomes NULL, so a `NOT NULL`
/// column refuses it): those rows are skipped there, and must be the only ones refused.
async fn insert_floats(pool: &Pool, backend: &str) {
    let mut refused = 0;
    for (id, x, y, z) in float_rows() {
        let values = (hv::id.eq(id), hv::x.eq(x), hv::y.eq(y), hv::z.eq(z));
        let result = match pool
            .unscoped("test fixture")
            .connection()
            .await
            .expect("connection")
        {
            RawConnection::Sqlite(mut c) => {
                diesel::insert_into(hv::table)
                    .values(values)
                    .execute(&mut c)
                    .await
            }
            RawConnection::Postgres(mut c) => {
                diesel::insert_into(hv::table)
                    .values(values)
                    .execute(&mut c)
                    .await
            }
            _ => unreachable!("the tests build portcullis with sqlite and postgres only"),
        };
        match result {
            Ok(_) => {}
            Err(e) if backend == "sqlite" && x.is_nan() => {
                assert!(e.to_string().contains("NOT NULL"), "{e}");
                refused += 1;
            }
            Err(e) => panic!("{backend}: insert ({x}, {y:?}, {z}) failed: {e}"),
        }
    }
    if backend == "sqlite" {
        assert_eq!(refused, HOSTILE.len() + 1, "one NaN x per y value");
    }
}

async fn load_floats(pool: &Pool) -> Vec<Hv> {
    match pool
        .unscoped("test fixture")
        .connection()
        .await
        .expect("connection")
    {
        RawConnection::Sqlite(mut c) => hv::table
            .select(Hv::as_select())
            .load(&mut c)
            .await
            .expect("load"),
        RawConnection::Postgres(mut c) => hv::table
            .select(Hv::as_select())
            .load(&mut c)
            .await
            .expect("load"),
        _ => unreachable!(),
    }
}

fn float_subjects() -> Vec<FloatUser> {
    let mut out = Vec::new();
    for &t in &HOSTILE {
        for ot in [None, Some(t)] {
            out.push(FloatUser {
                t,
                ot,
                u: t as f32,
                list: vec![t, f64::NAN, -0.0, 1e308],
            });
        }
    }
    out.push(FloatUser {
        t: 1.5,
        ot: Some(f64::NAN),
        u: f32::NAN,
        list: Vec::new(),
    });
    // ±∞ in a list longer than SQLite's limit of bound variables: JSON has no infinities, yet
    // the list must still travel as one bound array.
    out.push(FloatUser {
        t: f64::INFINITY,
        ot: Some(f64::NEG_INFINITY),
        u: f32::INFINITY,
        list: HOSTILE
            .iter()
            .copied()
            .chain((0..40_000).map(|i| 1000.0 + f64::from(i) * 0.5))
            .collect(),
    });
    out
}

/// The ids `can::<A>` accepts and the ids `scope::<A>()` lists, for one subject.
macro_rules! compare {
    ($out:expr, $user:expr, $rows:expr, $pool:expr, $($a:ident),*) => {{
        let ability = hv_policy($user);
        $(
            let mut pred: Vec<i64> =
                $rows.iter().filter(|r| ability.can::<$a>(r)).map(|r| r.id).collect();
            let mut sql: Vec<i64> = portcullis::Query::load(&ability.scope::<$a>().query(), $pool)
                .await
                .expect("scoped load")
                .iter()
                .map(|r| r.id)
                .collect();
            pred.sort_unstable();
            sql.sort_unstable();
            if pred != sql {
                let only_pred: Vec<_> = pred.iter().filter(|i| !sql.contains(i)).collect();
                let only_sql: Vec<_> = sql.iter().filter(|i| !pred.contains(i)).collect();
                let show = |ids: &[&i64]| -> Vec<String> {
                    ids.iter()
                        .filter_map(|i| $rows.iter().find(|r| r.id == **i))
                        .map(|r| format!("(x={:?}, y={:?}, z={:?})", r.x, r.y, r.z))
                        .collect()
                };
                $out.push(format!(
                    "{} with {:?}: can only {:?}; scope only {:?}",
                    stringify!($a),
                    $user,
                    show(&only_pred),
                    show(&only_sql)
                ));
            }
        )*
    }};
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_floats_select_the_same_rows_in_sql_and_in_can() {
    // Every backend runs before the verdict, so one failure report covers them all.
    let mut report = Vec::new();
    for db in common::databases("hostile_floats", FLOAT_SQLITE, FLOAT_PG).await {
        insert_floats(&db.pool, db.name).await;
        let rows = load_floats(&db.pool).await;
        assert!(rows.len() >= 110, "{}: {} rows", db.name, rows.len());
        let mut bad = Vec::new();
        for user in float_subjects() {
            compare!(
                bad, &user, rows, &db.pool, Read, YLtT, XGe0, XEqT, XNeT, NotYGeT, NotXNeT, YNeT,
                NotXGtT, XLeOt, ZNeU, ZGeU, XInList, NotYInList, XGtNeg0, Mixed
            );
        }
        if !bad.is_empty() {
            report.push(format!(
                "{}: {} disagreements between SQL and can:\n{}",
                db.name,
                bad.len(),
                bad.join("\n")
            ));
        }
        db.cleanup().await;
    }
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}

/// The semantics the README states, on rows as stored: NaN matches no comparison (`!=`
/// included), -0.0 equals 0.0, infinities order as numbers.
#[test]
fn float_semantics_in_can() {
    let ability = hv_policy(&FloatUser {
        t: 0.0,
        ot: None,
        u: 0.0,
        list: vec![f64::NAN],
    });
    let row = |x: f64, y: Option<f64>| Hv {
        id: 1,
        x,
        y,
        z: x as f32,
    };
    assert!(!ability.can::<XNeT>(&row(f64::NAN, None)));
    assert!(!ability.can::<Read>(&row(f64::NAN, None)));
    assert!(ability.can::<NotXNeT>(&row(f64::NAN, None)));
    assert!(ability.can::<XEqT>(&row(-0.0, None)));
    assert!(!ability.can::<XNeT>(&row(-0.0, None)));
    assert!(ability.can::<Read>(&row(f64::INFINITY, None)));
    assert!(!ability.can::<XInList>(&row(f64::NAN, None)));
    assert!(ability.can::<NotYGeT>(&row(1.0, Some(f64::NAN))));
    let nan_subject = hv_policy(&FloatUser {
        t: f64::NAN,
        ot: Some(f64::NAN),
        u: f32::NAN,
        list: vec![],
    });
    for x in HOSTILE {
        assert!(!nan_subject.can::<XNeT>(&row(x, None)), "{x} != NaN");
        assert!(!nan_subject.can::<ZNeU>(&row(x, None)), "{x} != NaN (f32)");
        assert!(!nan_subject.can::<XLeOt>(&row(x, None)), "{x} <= NaN");
    }
}

// ---- long `in` lists --------------------------------------------------------------------------

use common::tasks::Task;

#[derive(Debug, Clone)]
pub struct Member {
    pub projects: Vec<i64>,
    pub titles: Vec<String>,
}

#[derive(Action)]
pub struct ByTitle;
#[derive(Action)]
pub struct Plain;

#[policy(Task, subject = Member)]
pub fn task_policy(m: &Member) {
    allow!(read where project_id in m.projects);
    allow!(ByTitle where title in m.titles);
    allow!(Plain where project_id > 5 && project_id != {m.projects.len() as i64} && title != "t0");
}

const TASKS_SQLITE: &str = "CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id BIGINT NOT NULL,
    title TEXT NOT NULL);
    CREATE INDEX tasks_project ON tasks (project_id, id);
    CREATE INDEX tasks_title ON tasks (title, id);";
const TASKS_PG: &str = "CREATE TABLE tasks (id BIGINT PRIMARY KEY, project_id BIGINT NOT NULL,
    title TEXT COLLATE \"C\" NOT NULL);
    CREATE INDEX tasks_project ON tasks (project_id, id);
    CREATE INDEX tasks_title ON tasks (title, id);";

/// Task `i` is in project `i * 3`; 1,000 tasks (projects 0, 3, .., 2997), titles `t<i>` with a
/// quote, a backslash and non-ASCII in some.
async fn insert_tasks(pool: &Pool) {
    let title = |i: i64| match i % 4 {
        0 => format!("t{i}"),
        1 => format!("t'{i}\""),
        2 => format!("t\\{i}é"),
        _ => format!("t{i}🙂"),
    };
    let values: Vec<String> = (0..1000i64)
        .map(|i| format!("({i}, {}, '{}')", i * 3, title(i).replace('\'', "''")))
        .collect();
    pool.unscoped("test fixture")
        .batch_execute(&format!(
            "INSERT INTO tasks (id, project_id, title) VALUES {};",
            values.join(", ")
        ))
        .await
        .expect("insert tasks");
}

async fn listed<A>(pool: &Pool, m: &Member) -> Vec<i64>
where
    A: portcullis::Action,
    Task: portcullis::Governs<A>,
{
    let mut ids: Vec<i64> = portcullis::Query::load(&Task::scope_for::<A>(m).query(), pool)
        .await
        .expect("scoped load")
        .iter()
        .map(|t| t.id)
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn in_lists_of_any_length_select_the_right_rows() {
    for db in common::databases("hostile_in", TASKS_SQLITE, TASKS_PG).await {
        insert_tasks(&db.pool).await;
        let tasks = {
            let everyone = Member {
                projects: (0..3000).collect(),
                titles: vec![],
            };
            listed::<Read>(&db.pool, &everyone).await
        };
        assert_eq!(tasks.len(), 1000);
        for n in [0usize, 1, 10, 1_000, 40_000, 70_000, 100_000] {
            // Every 7th project id from -n/2 on: some exist (multiples of 3), most do not.
            let projects: Vec<i64> = (0..n as i64).map(|i| i * 7 - n as i64 / 2).collect();
            let m = Member {
                projects: projects.clone(),
                titles: vec![],
            };
            let want: Vec<i64> = (0..1000i64)
                .filter(|i| projects.contains(&(i * 3)))
                .collect();
            let got = listed::<Read>(&db.pool, &m).await;
            assert_eq!(got, want, "{}: {n} project ids", db.name);
            let ability = task_policy(&m);
            let rows: Vec<Task> = (0..1000i64)
                .map(|i| Task {
                    id: i,
                    project_id: i * 3,
                    title: String::new(),
                })
                .collect();
            let by_can: Vec<i64> = rows
                .iter()
                .filter(|t| ability.can::<Read>(t))
                .map(|t| t.id)
                .collect();
            assert_eq!(by_can, want, "{}: can with {n} project ids", db.name);
        }
        // Text lists: quotes, backslashes, non-ASCII and NUL-free Unicode survive the binding.
        let titles: Vec<String> = ["t0", "t'1\"", "t\\2é", "t3🙂", "t'5\"", "nope", "T0", ""]
            .iter()
            .map(|s| s.to_string())
            .chain((0..50_000).map(|i| format!("x{i}")))
            .collect();
        let m = Member {
            projects: vec![],
            titles,
        };
        assert_eq!(
            listed::<ByTitle>(&db.pool, &m).await,
            vec![0, 1, 2, 3, 5],
            "{}: title in a 50,008-string list",
            db.name
        );
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn in_lists_are_served_by_the_index() {
    for db in common::databases("hostile_in_plan", TASKS_SQLITE, TASKS_PG).await {
        insert_tasks(&db.pool).await;
        let small = Member {
            projects: vec![3, 6, 9],
            titles: vec!["t0".into(), "t4".into()],
        };
        let large = Member {
            projects: (0..70_000).collect(),
            titles: (0..40_000).map(|i| format!("t{i}")).collect(),
        };
        let result = IndexCheck::new(&db.pool)
            .scope("3 projects", &Task::scope_for::<Read>(&small), |f| {
                [f.project_id.asc(), f.id.asc()]
            })
            .scope("70,000 projects", &Task::scope_for::<Read>(&large), |f| {
                [f.project_id.asc(), f.id.asc()]
            })
            .scope("2 titles", &Task::scope_for::<ByTitle>(&small), |f| {
                [f.title.asc(), f.id.asc()]
            })
            .scope("40,000 titles", &Task::scope_for::<ByTitle>(&large), |f| {
                [f.title.asc(), f.id.asc()]
            })
            .run()
            .await;
        if let Err(report) = result {
            panic!("{}: {report}", db.name);
        }
        db.cleanup().await;
    }
}

// ---- the SQL each leaf renders -----------------------------------------------------------------

fn sqlite_sql<E, A>(scope: &portcullis::Scope<E, A>) -> String
where
    E: Resource + portcullis::Governs<A>,
    A: portcullis::Action,
{
    diesel::debug_query::<diesel::sqlite::Sqlite, _>(&scope.sqlite_filter()).to_string()
}

fn pg_sql<E, A>(scope: &portcullis::Scope<E, A>) -> String
where
    E: Resource + portcullis::Governs<A>,
    A: portcullis::Action,
{
    diesel::debug_query::<diesel::pg::Pg, _>(&scope.postgres_filter()).to_string()
}

/// Only float leaves that PostgreSQL could match with a stored NaN get a guard; integer and
/// text leaves render as they always did; `in` lists are one parameter on both backends.
#[test]
fn leaf_sql_forms() {
    let m = Member {
        projects: vec![3, 6],
        titles: vec!["a'b".into(), "c".into()],
    };
    let reads = Task::scope_for::<Read>(&m);
    let plain = Task::scope_for::<Plain>(&m);
    let titles = Task::scope_for::<ByTitle>(&m);
    let cases = [
        (
            sqlite_sql(&reads),
            r#"`tasks`.`project_id` IN (SELECT value FROM json_each(?)) -- binds: ["[3,6]"]"#,
        ),
        (
            pg_sql(&reads),
            r#"("tasks"."project_id" = ANY($1)) -- binds: [[3, 6]]"#,
        ),
        // Integer and text comparisons: exactly the SQL they had before NaN handling.
        (
            sqlite_sql(&plain),
            r#"(((`tasks`.`project_id` > 5)) AND ((`tasks`.`project_id` != ?)) AND ((`tasks`.`title` != 't0'))) -- binds: [2]"#,
        ),
        (
            pg_sql(&plain),
            r#"((("tasks"."project_id" > 5)) AND (("tasks"."project_id" != $1)) AND (("tasks"."title" != 't0'))) -- binds: [2]"#,
        ),
        (
            sqlite_sql(&titles),
            r#"`tasks`.`title` IN (SELECT value FROM json_each(?)) -- binds: ["[\"a'b\",\"c\"]"]"#,
        ),
        (
            pg_sql(&titles),
            r#"("tasks"."title" = ANY($1)) -- binds: [["a'b", "c"]]"#,
        ),
    ];
    let user = FloatUser {
        t: 1.5,
        ot: Some(f64::NAN),
        u: 2.0,
        list: vec![1.0, f64::NAN],
    };
    let ab = hv_policy(&user);
    let float_cases = [
        // SQLite cannot store NaN: no guard.
        (
            sqlite_sql(&ab.scope::<Read>()),
            r#"(`hv`.`x` > ?) -- binds: [1.5]"#,
        ),
        (
            pg_sql(&ab.scope::<Read>()),
            r#"((("hv"."x" > $1)) AND ("hv"."x" <> 'NaN')) -- binds: [1.5]"#,
        ),
        // `<` cannot match a NaN PostgreSQL sorts above every number: no guard.
        (
            pg_sql(&ab.scope::<YLtT>()),
            r#"coalesce(("hv"."y" < $1), FALSE) -- binds: [1.5]"#,
        ),
        (
            pg_sql(&ab.scope::<XNeT>()),
            r#"((("hv"."x" != $1)) AND ("hv"."x" <> 'NaN')) -- binds: [1.5]"#,
        ),
        (
            pg_sql(&ab.scope::<YNeT>()),
            r#"((coalesce(("hv"."y" != $1), FALSE)) AND ("hv"."y" <> 'NaN')) -- binds: [1.5]"#,
        ),
        // A NaN subject value matches nothing: the leaf is FALSE, nothing NaN is bound.
        (pg_sql(&ab.scope::<XLeOt>()), "FALSE -- binds: []"),
        (sqlite_sql(&ab.scope::<XLeOt>()), "FALSE -- binds: []"),
        (
            sqlite_sql(&ab.scope::<XInList>()),
            r#"`hv`.`x` IN (SELECT value FROM json_each(?)) -- binds: ["[1.0]"]"#,
        ),
        (
            pg_sql(&ab.scope::<XInList>()),
            r#"("hv"."x" = ANY($1)) -- binds: [[1.0]]"#,
        ),
        (
            sqlite_sql(&ab.scope::<NotYInList>()),
            r#"NOT (((`hv`.`y` IS NOT NULL AND `hv`.`y` IN (SELECT value FROM json_each(?))))) -- binds: ["[1.0]"]"#,
        ),
    ];
    for (got, want) in cases.iter().chain(&float_cases) {
        assert_eq!(got, want);
    }
}
