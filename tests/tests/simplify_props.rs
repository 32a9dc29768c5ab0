//! Property test of the rule-set simplifier (`portcullis::cond`): random rule sets (allows and
//! field-less denies built from random AND/OR/NOT trees over a small pool of leaves, so equal
//! leaves, shared conjuncts and complements are frequent) on random rows. For each case and
//! backend:
//!
//! - the simplified SQL selects exactly the rows the unsimplified Rust predicate accepts;
//! - the simplified predicate accepts exactly the rows the unsimplified predicate accepts;
//! - the unsimplified SQL agrees too (the baseline the simplifier starts from).
//!
//! A simplifier bug that widened a scope would show as a row the SQL returns and the predicate
//! rejects. `PORTCULLIS_PROPTEST_CASES` sets the number of cases per backend (default 2,000).

mod common;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portcullis::cond::{Cond, Keyed, LeafKey, LeafOp};
use portcullis::db::{Pool, RawConnection};
use portcullis::sql::{BoxedFilter, SqlLeaf, render, two_valued};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

diesel::table! {
    simp (id) {
        id -> BigInt,
        a -> BigInt,
        b -> Nullable<BigInt>,
        s -> Text,
        f -> Bool,
        g -> Nullable<Bool>,
    }
}

const SQLITE_DDL: &str = "CREATE TABLE simp (id INTEGER PRIMARY KEY, a BIGINT NOT NULL, b BIGINT,
    s TEXT NOT NULL, f BOOLEAN NOT NULL, g BOOLEAN);";
const PG_DDL: &str = "CREATE TABLE simp (id BIGINT PRIMARY KEY, a BIGINT NOT NULL, b BIGINT,
    s TEXT COLLATE \"C\" NOT NULL, f BOOLEAN NOT NULL, g BOOLEAN);";

#[derive(Debug, Clone)]
struct Row {
    a: i64,
    b: Option<i64>,
    s: String,
    f: bool,
    g: Option<bool>,
}

/// The leaf pool: few values, so that rules share leaves.
#[derive(Debug, Clone, Copy)]
enum Atom {
    AEq(i64),
    ALt(i64),
    AGe(i64),
    BEq(i64),
    BNone,
    SEq(&'static str),
    F,
    G,
    AIn(&'static [i64]),
}

const VALUES: [i64; 3] = [0, 1, 7];
const TEXTS: [&str; 2] = ["", "m"];
const LISTS: [&[i64]; 2] = [&[0, 7], &[]];

fn atoms() -> Vec<Atom> {
    let mut out = Vec::new();
    for v in VALUES {
        out.extend([Atom::AEq(v), Atom::ALt(v), Atom::AGe(v), Atom::BEq(v)]);
    }
    out.extend(TEXTS.map(Atom::SEq));
    out.extend([Atom::BNone, Atom::F, Atom::G]);
    out.extend(LISTS.map(Atom::AIn));
    out
}

impl Atom {
    fn key(self) -> LeafKey {
        match self {
            Atom::AEq(v) => LeafKey::new(1, LeafOp::Eq, Some(v)),
            Atom::ALt(v) => LeafKey::new(1, LeafOp::Lt, Some(v)),
            Atom::AGe(v) => LeafKey::new(1, LeafOp::Ge, Some(v)),
            Atom::BEq(v) => LeafKey::new(2, LeafOp::Eq, Some(v)),
            Atom::BNone => LeafKey::new(2, LeafOp::IsNone, None::<()>),
            Atom::SEq(v) => LeafKey::new(3, LeafOp::Eq, Some(v.to_owned())),
            Atom::F => LeafKey::new(4, LeafOp::Flag, None::<()>),
            Atom::G => LeafKey::new(5, LeafOp::Flag, None::<()>),
            Atom::AIn(l) => LeafKey::new(1, LeafOp::In, Some(l.to_vec())),
        }
    }

    fn holds(self, r: &Row) -> bool {
        match self {
            Atom::AEq(v) => r.a == v,
            Atom::ALt(v) => r.a < v,
            Atom::AGe(v) => r.a >= v,
            Atom::BEq(v) => r.b == Some(v),
            Atom::BNone => r.b.is_none(),
            Atom::SEq(v) => r.s == v,
            Atom::F => r.f,
            Atom::G => r.g == Some(true),
            Atom::AIn(l) => l.contains(&r.a),
        }
    }
}

/// The SQL of an atom on one backend, written as the generated code writes it.
macro_rules! atom_sql {
    ($atom:expr, $db:ty) => {{
        let sql: BoxedFilter<simp::table, $db> = match $atom {
            Atom::AEq(v) => two_valued(simp::a.eq(v)),
            Atom::ALt(v) => two_valued(simp::a.lt(v)),
            Atom::AGe(v) => two_valued(simp::a.ge(v)),
            Atom::BEq(v) => two_valued(simp::b.eq(v)),
            Atom::BNone => two_valued(simp::b.is_null()),
            Atom::SEq(v) => two_valued(simp::s.eq(v)),
            Atom::F => two_valued(simp::f),
            Atom::G => two_valued(simp::g),
            Atom::AIn(l) => two_valued(simp::a.eq_any(l.to_vec())),
        };
        sql
    }};
}

/// A condition as proptest generates it (cloneable; turned into a `Cond` per use).
#[derive(Debug, Clone)]
enum Spec {
    Const(bool),
    Atom(usize),
    Not(Box<Spec>),
    And(Vec<Spec>),
    Or(Vec<Spec>),
}

struct TestLeaf {
    atom: Atom,
    key: LeafKey,
}

impl Keyed for TestLeaf {
    fn key(&self) -> Option<&LeafKey> {
        Some(&self.key)
    }
}

fn build(spec: &Spec, pool: &[Atom]) -> Cond<TestLeaf> {
    match spec {
        Spec::Const(v) => Cond::constant(*v),
        Spec::Atom(i) => {
            let atom = pool[*i % pool.len()];
            Cond::Leaf(TestLeaf {
                atom,
                key: atom.key(),
            })
        }
        Spec::Not(s) => Cond::Not(Box::new(build(s, pool))),
        Spec::And(ss) => Cond::And(ss.iter().map(|s| build(s, pool)).collect()),
        Spec::Or(ss) => Cond::Or(ss.iter().map(|s| build(s, pool)).collect()),
    }
}

/// A rule set: `(any allow) AND NOT (any deny)`, as `SqlAcc` builds it.
fn rule_set(allows: &[Spec], denies: &[Spec], pool: &[Atom]) -> Cond<TestLeaf> {
    Cond::And(vec![
        Cond::Or(allows.iter().map(|s| build(s, pool)).collect()),
        Cond::Not(Box::new(Cond::Or(
            denies.iter().map(|s| build(s, pool)).collect(),
        ))),
    ])
}

fn spec() -> impl Strategy<Value = Spec> {
    let leaf = prop_oneof![
        6 => (0usize..64).prop_map(Spec::Atom),
        1 => any::<bool>().prop_map(Spec::Const),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|s| Spec::Not(Box::new(s))),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Spec::And),
            prop::collection::vec(inner, 0..4).prop_map(Spec::Or),
        ]
    })
}

/// Rules shaped like real policies: a shared condition AND a varying part, often in
/// complementary pairs (`c AND x`, `c AND NOT x`).
fn rule() -> impl Strategy<Value = Vec<Spec>> {
    prop_oneof![
        spec().prop_map(|s| vec![s]),
        (spec(), spec()).prop_map(|(c, x)| vec![
            Spec::And(vec![c.clone(), x.clone()]),
            Spec::And(vec![Spec::Not(Box::new(x)), c]),
        ]),
        (spec(), spec(), spec())
            .prop_map(|(c, x, y)| vec![Spec::And(vec![c.clone(), x]), Spec::And(vec![y, c]),]),
    ]
}

fn rules(max: usize) -> impl Strategy<Value = Vec<Spec>> {
    prop::collection::vec(rule(), 0..max).prop_map(|v| v.into_iter().flatten().collect())
}

fn row() -> impl Strategy<Value = Row> {
    let int = prop_oneof![
        Just(0i64),
        Just(1),
        Just(7),
        Just(-1),
        Just(i64::MIN),
        Just(i64::MAX)
    ];
    (
        int.clone(),
        prop::option::weighted(0.6, int),
        prop_oneof![
            Just(String::new()),
            Just("m".to_owned()),
            Just("zé".to_owned())
        ],
        any::<bool>(),
        prop::option::weighted(0.6, any::<bool>()),
    )
        .prop_map(|(a, b, s, f, g)| Row { a, b, s, f, g })
}

async fn reset(pool: &Pool, rows: &[Row]) {
    let values: Vec<_> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                simp::id.eq(i as i64 + 1),
                simp::a.eq(r.a),
                simp::b.eq(r.b),
                simp::s.eq(r.s.clone()),
                simp::f.eq(r.f),
                simp::g.eq(r.g),
            )
        })
        .collect();
    match pool
        .unscoped("test fixture")
        .connection()
        .await
        .expect("connection")
    {
        RawConnection::Sqlite(mut c) => {
            diesel::delete(simp::table)
                .execute(&mut c)
                .await
                .expect("clear");
            for v in values {
                diesel::insert_into(simp::table)
                    .values(v)
                    .execute(&mut c)
                    .await
                    .expect("insert");
            }
        }
        RawConnection::Postgres(mut c) => {
            diesel::delete(simp::table)
                .execute(&mut c)
                .await
                .expect("clear");
            if !values.is_empty() {
                diesel::insert_into(simp::table)
                    .values(values)
                    .execute(&mut c)
                    .await
                    .expect("insert");
            }
        }
        _ => unreachable!("the tests build portcullis with sqlite and postgres only"),
    }
}

/// The ids the condition selects in SQL.
async fn select(pool: &Pool, cond: Cond<TestLeaf>) -> Vec<i64> {
    match pool
        .unscoped("test fixture")
        .connection()
        .await
        .expect("connection")
    {
        RawConnection::Sqlite(mut c) => {
            let filter = render(cond.map(&mut |l: TestLeaf| SqlLeaf {
                sql: atom_sql!(l.atom, diesel::sqlite::Sqlite),
                key: l.key,
            }));
            simp::table
                .filter(filter)
                .select(simp::id)
                .order(simp::id)
                .load(&mut c)
                .await
                .expect("select")
        }
        RawConnection::Postgres(mut c) => {
            let filter = render(cond.map(&mut |l: TestLeaf| SqlLeaf {
                sql: atom_sql!(l.atom, diesel::pg::Pg),
                key: l.key,
            }));
            simp::table
                .filter(filter)
                .select(simp::id)
                .order(simp::id)
                .load(&mut c)
                .await
                .expect("select")
        }
        _ => unreachable!(),
    }
}

fn accepted(cond: &Cond<TestLeaf>, rows: &[Row]) -> Vec<i64> {
    rows.iter()
        .enumerate()
        .filter(|(_, r)| cond.eval(&mut |l: &TestLeaf| l.atom.holds(r)))
        .map(|(i, _)| i as i64 + 1)
        .collect()
}

fn cases() -> u32 {
    match std::env::var("PORTCULLIS_PROPTEST_CASES") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("PORTCULLIS_PROPTEST_CASES must be a number, got {v:?}")),
        Err(_) => 2_000,
    }
}

#[test]
fn simplified_rule_sets_select_the_same_rows() {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let dbs = rt.block_on(common::databases("simplify", SQLITE_DDL, PG_DDL));
    let pool_atoms = atoms();
    for db in dbs {
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (prop::collection::vec(row(), 0..10), rules(4), rules(3));
        let shrunk = std::cell::Cell::new(0usize);
        let result = runner.run(&strategy, |(rows, allows, denies)| {
            let original = rule_set(&allows, &denies, &pool_atoms);
            let simplified = rule_set(&allows, &denies, &pool_atoms).simplify();
            if simplified.leaves() < original.leaves() {
                shrunk.set(shrunk.get() + 1);
            }
            let expected = accepted(&original, &rows);
            let in_memory = accepted(&simplified, &rows);
            let (sql_simplified, sql_original) = rt.block_on(async {
                reset(&db.pool, &rows).await;
                (
                    select(&db.pool, simplified).await,
                    select(&db.pool, rule_set(&allows, &denies, &pool_atoms)).await,
                )
            });
            let mut bad = Vec::new();
            if in_memory != expected {
                bad.push(format!("simplified predicate {in_memory:?}"));
            }
            if sql_simplified != expected {
                bad.push(format!("simplified SQL {sql_simplified:?}"));
            }
            if sql_original != expected {
                bad.push(format!("unsimplified SQL {sql_original:?}"));
            }
            if bad.is_empty() {
                Ok(())
            } else {
                Err(TestCaseError::fail(format!(
                    "{}: predicate {expected:?} vs {}",
                    db.name,
                    bad.join(", ")
                )))
            }
        });
        if let Err(e) = result {
            panic!(
                "{}: the simplifier changed a rule set's meaning: {e}",
                db.name
            );
        }
        // The generator must exercise the simplifier, not only trivial trees.
        let shrunk = shrunk.get();
        assert!(
            shrunk * 4 >= cases() as usize,
            "{}: only {shrunk} of {} rule sets were simplified at all",
            db.name,
            cases()
        );
        eprintln!(
            "{}: {} cases agreed ({shrunk} simplified)",
            db.name,
            cases()
        );
        rt.block_on(db.cleanup());
    }
}
