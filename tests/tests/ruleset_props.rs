//! Property test over random rule sets built from the runtime's own rule type (what
//! `#[policy]` generates), on random rows, on SQLite and PostgreSQL. A rule set mixes allows and
//! denies, with and without field lists, for `read`, `update`, `manage` and a custom action,
//! each rule present or not at run time (as rules under `if` are), each with a random condition.
//! Against an independent model of the semantics (DESIGN.md: allowed iff some allow matches and
//! no field-less deny does; fields = union of the matching allows' lists minus the matching
//! denies' lists) it checks:
//!
//! - the SQL scope of each action selects exactly the rows the model allows, and `can` agrees;
//! - `Bind` loads a row iff the model allows it (404/403 otherwise);
//! - a shaped row carries exactly the exposed fields the model permits for `read`;
//! - a narrowed query returns exactly scope ∩ filter (never more);
//! - the `UPDATE` filter for a set of written fields holds exactly on the rows where the model
//!   allows `update` and permits every written field.
//!
//! `PORTCULLIS_PROPTEST_CASES` sets the number of cases per backend (default 2,000).

mod common;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use portcullis::cond::{Cond, LeafKey, LeafOp};
use portcullis::db::{Pool, RawConnection};
use portcullis::policy::rules::{Effect, Rule, RuleSite};
use portcullis::sql::{SqlCond, leaf, two_valued};
use portcullis::{Ability, Action, Bind, FieldSet, Read, Resource, Update};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

diesel::table! {
    rs (id) {
        id -> BigInt,
        a -> BigInt,
        b -> Nullable<BigInt>,
        s -> Text,
        f -> Bool,
        g -> Nullable<Bool>,
    }
}

#[derive(Debug, Clone, PartialEq, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = rs)]
pub struct Rs {
    #[expose]
    pub id: i64,
    #[expose]
    pub a: i64,
    #[expose]
    pub b: Option<i64>,
    #[expose]
    pub s: String,
    pub f: bool,
    #[expose]
    pub g: Option<bool>,
}

#[derive(Action)]
pub struct Publish;

impl portcullis::Governs<Read> for Rs {
    const BIT: u32 = 0;
}
impl portcullis::Governs<Update> for Rs {
    const BIT: u32 = 2;
}
impl portcullis::Governs<Publish> for Rs {
    const BIT: u32 = 4;
}

const SQLITE_DDL: &str = "CREATE TABLE rs (id INTEGER PRIMARY KEY, a BIGINT NOT NULL, b BIGINT,
    s TEXT NOT NULL, f BOOLEAN NOT NULL, g BOOLEAN);";
const PG_DDL: &str = "CREATE TABLE rs (id BIGINT PRIMARY KEY, a BIGINT NOT NULL, b BIGINT,
    s TEXT COLLATE \"C\" NOT NULL, f BOOLEAN NOT NULL, g BOOLEAN);";

const ALL_FIELDS: u64 = 0b11_1111;
const EXPOSED: u64 = 0b10_1111;
const JSON: [&str; 6] = ["id", "a", "b", "s", "f", "g"];

// ---- conditions --------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Atom {
    AEq(i64),
    ALt(i64),
    BEq(i64),
    BNone,
    SEq(&'static str),
    F,
    G,
}

const ATOMS: [Atom; 10] = [
    Atom::AEq(0),
    Atom::AEq(7),
    Atom::ALt(1),
    Atom::BEq(0),
    Atom::BNone,
    Atom::SEq(""),
    Atom::SEq("m"),
    Atom::F,
    Atom::G,
    Atom::ALt(7),
];

impl Atom {
    fn key(self) -> LeafKey {
        match self {
            Atom::AEq(v) => LeafKey::new(1, LeafOp::Eq, Some(v)),
            Atom::ALt(v) => LeafKey::new(1, LeafOp::Lt, Some(v)),
            Atom::BEq(v) => LeafKey::new(2, LeafOp::Eq, Some(v)),
            Atom::BNone => LeafKey::new(2, LeafOp::IsNone, None::<()>),
            Atom::SEq(v) => LeafKey::new(3, LeafOp::Eq, Some(v.to_owned())),
            Atom::F => LeafKey::new(4, LeafOp::Flag, None::<()>),
            Atom::G => LeafKey::new(5, LeafOp::Flag, None::<()>),
        }
    }

    fn holds(self, r: &Rs) -> bool {
        match self {
            Atom::AEq(v) => r.a == v,
            Atom::ALt(v) => r.a < v,
            Atom::BEq(v) => r.b == Some(v),
            Atom::BNone => r.b.is_none(),
            Atom::SEq(v) => r.s == v,
            Atom::F => r.f,
            Atom::G => r.g == Some(true),
        }
    }
}

macro_rules! atom_sql {
    ($atom:expr) => {
        match $atom {
            Atom::AEq(v) => two_valued(rs::a.eq(v)),
            Atom::ALt(v) => two_valued(rs::a.lt(v)),
            Atom::BEq(v) => two_valued(rs::b.eq(v)),
            Atom::BNone => two_valued(rs::b.is_null()),
            Atom::SEq(v) => two_valued(rs::s.eq(v)),
            Atom::F => two_valued(rs::f),
            Atom::G => two_valued(rs::g),
        }
    };
}

#[derive(Debug, Clone)]
enum Spec {
    Const(bool),
    Atom(usize),
    Not(Box<Spec>),
    And(Vec<Spec>),
    Or(Vec<Spec>),
}

impl Spec {
    fn holds(&self, r: &Rs) -> bool {
        match self {
            Spec::Const(v) => *v,
            Spec::Atom(i) => ATOMS[*i % ATOMS.len()].holds(r),
            Spec::Not(s) => !s.holds(r),
            Spec::And(ss) => ss.iter().all(|s| s.holds(r)),
            Spec::Or(ss) => ss.iter().any(|s| s.holds(r)),
        }
    }
}

macro_rules! spec_sql {
    ($fn:ident, $db:ty) => {
        fn $fn(spec: &Spec) -> SqlCond<rs::table, $db> {
            match spec {
                Spec::Const(v) => Cond::constant(*v),
                Spec::Atom(i) => {
                    let atom = ATOMS[*i % ATOMS.len()];
                    leaf(atom.key(), atom_sql!(atom))
                }
                Spec::Not(s) => Cond::Not(Box::new($fn(s))),
                Spec::And(ss) => Cond::And(ss.iter().map($fn).collect()),
                Spec::Or(ss) => Cond::Or(ss.iter().map($fn).collect()),
            }
        }
    };
}
spec_sql!(sqlite_sql, diesel::sqlite::Sqlite);
spec_sql!(pg_sql, diesel::pg::Pg);

fn spec() -> impl Strategy<Value = Spec> {
    let leaf = prop_oneof![
        8 => (0usize..ATOMS.len()).prop_map(Spec::Atom),
        1 => any::<bool>().prop_map(Spec::Const),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|s| Spec::Not(Box::new(s))),
            prop::collection::vec(inner.clone(), 1..3).prop_map(Spec::And),
            prop::collection::vec(inner, 1..3).prop_map(Spec::Or),
        ]
    })
}

// ---- rules -------------------------------------------------------------------------------------

/// One rule slot of the test's rule set: present or not, its condition, its field list.
type Slot = Option<(Spec, u64)>;

/// The slots' fixed shapes: (action mask, deny, has field list). `u64::MAX` is `manage`.
const SHAPES: [(u64, bool, bool); 12] = [
    (1, false, false),
    (1, false, true),
    (1, true, false),
    (1, true, true),
    (4, false, true),
    (4, true, true),
    (4, true, false),
    (u64::MAX, false, false),
    (1 | 16, false, false),
    (16, true, false),
    (4, false, false),
    (1, false, true),
];

type Pred = Box<dyn Fn(&Rs) -> bool + Send + Sync>;
type SqliteSql = Box<dyn Fn() -> SqlCond<rs::table, diesel::sqlite::Sqlite> + Send + Sync>;
type PgSql = Box<dyn Fn() -> SqlCond<rs::table, diesel::pg::Pg> + Send + Sync>;
type Pin = fn(&mut <Rs as Resource>::Create, bool);
type R<const A: u64, const D: bool, const F: bool> =
    Option<Rule<Rs, Pred, (SqliteSql, PgSql), Pin, A, D, F>>;

static ALLOW: RuleSite = RuleSite {
    effect: Effect::Allow,
    text: "allow!(random)",
    file: file!(),
    line: line!(),
    has_fields: false,
};
static DENY: RuleSite = RuleSite {
    effect: Effect::Deny,
    text: "deny!(random)",
    file: file!(),
    line: line!(),
    has_fields: false,
};

fn rule<const A: u64, const D: bool, const F: bool>(slot: &Slot) -> R<A, D, F> {
    let (spec, fields) = slot.clone()?;
    let (p, q, r) = (spec.clone(), spec.clone(), spec);
    Some(Rule {
        site: if D { &DENY } else { &ALLOW },
        fields: F.then(|| FieldSet::from_bits(fields)),
        pred: Box::new(move |row: &Rs| p.holds(row)),
        sql: (
            Box::new(move || sqlite_sql(&q)) as SqliteSql,
            Box::new(move || pg_sql(&r)) as PgSql,
        ),
        pin: |_, _| {},
    })
}

fn ability(slots: &[Slot; 12]) -> Ability<Rs> {
    let rules = (
        (
            rule::<1, false, false>(&slots[0]),
            rule::<1, false, true>(&slots[1]),
            rule::<1, true, false>(&slots[2]),
            rule::<1, true, true>(&slots[3]),
            rule::<4, false, true>(&slots[4]),
            rule::<4, true, true>(&slots[5]),
            rule::<4, true, false>(&slots[6]),
            rule::<{ u64::MAX }, false, false>(&slots[7]),
        ),
        (
            rule::<{ 1 | 16 }, false, false>(&slots[8]),
            rule::<16, true, false>(&slots[9]),
            rule::<4, false, false>(&slots[10]),
            rule::<1, false, true>(&slots[11]),
        ),
    );
    Ability::__new(rules).into_dyn()
}

/// The model: (allowed, permitted fields) for action bit `bit` on `row`.
fn model(slots: &[Slot; 12], bit: u32, row: &Rs) -> (bool, u64) {
    let (mut allowed, mut denied, mut fields, mut removed) = (false, false, 0u64, 0u64);
    for (slot, (mask, deny, has_fields)) in slots.iter().zip(SHAPES) {
        let Some((spec, list)) = slot else { continue };
        if mask & (1 << bit) == 0 || !spec.holds(row) {
            continue;
        }
        match (deny, has_fields) {
            (false, false) => {
                allowed = true;
                fields = ALL_FIELDS;
            }
            (false, true) => {
                allowed = true;
                fields |= list;
            }
            (true, false) => denied = true,
            (true, true) => removed |= list,
        }
    }
    let ok = allowed && !denied;
    (
        ok,
        if ok {
            fields & !removed & ALL_FIELDS
        } else {
            0
        },
    )
}

fn slots() -> impl Strategy<Value = [Slot; 12]> {
    let slot = prop::option::weighted(0.45, (spec(), 1u64..=ALL_FIELDS));
    prop::array::uniform12(slot)
}

// ---- rows and narrowing filters ---------------------------------------------------------------

fn row() -> impl Strategy<Value = (i64, Option<i64>, String, bool, Option<bool>)> {
    (
        prop_oneof![Just(0i64), Just(1), Just(7), Just(-3), Just(i64::MAX)],
        prop::option::weighted(0.6, prop_oneof![Just(0i64), Just(5)]),
        prop_oneof![
            Just(String::new()),
            Just("m".to_owned()),
            Just("zé".to_owned())
        ],
        any::<bool>(),
        prop::option::weighted(0.6, any::<bool>()),
    )
}

/// Narrowing filters a handler might write, including raw SQL with an `OR` inside.
#[derive(Debug, Clone, Copy)]
enum Narrow {
    AGe(i64),
    SIs(&'static str),
    RawOr,
    AOrF(i64),
}

impl Narrow {
    fn holds(self, r: &Rs) -> bool {
        match self {
            Narrow::AGe(k) => r.a >= k,
            Narrow::SIs(v) => r.s == v,
            Narrow::RawOr => r.a == 1 || r.a == 7,
            Narrow::AOrF(k) => r.a == k || r.f,
        }
    }
}

fn narrow() -> impl Strategy<Value = Narrow> {
    prop_oneof![
        prop_oneof![Just(0i64), Just(1), Just(7)].prop_map(Narrow::AGe),
        prop_oneof![Just(""), Just("m")].prop_map(Narrow::SIs),
        Just(Narrow::RawOr),
        prop_oneof![Just(0i64), Just(7)].prop_map(Narrow::AOrF),
    ]
}

macro_rules! narrowed {
    ($scope:expr, $n:expr) => {{
        let q = $scope.query().order_by(|f| f.id.asc());
        match $n {
            Narrow::AGe(k) => q.filter(rs::a.ge(k)),
            Narrow::SIs(v) => q.filter(rs::s.eq(v)),
            Narrow::RawOr => q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                "rs.a = 1 OR rs.a = 7",
            )),
            Narrow::AOrF(k) => q.filter(rs::a.eq(k).or(rs::f.eq(true))),
        }
    }};
}

async fn reset(pool: &Pool, rows: &[Rs]) {
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                rs::id.eq(r.id),
                rs::a.eq(r.a),
                rs::b.eq(r.b),
                rs::s.eq(r.s.clone()),
                rs::f.eq(r.f),
                rs::g.eq(r.g),
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
            diesel::delete(rs::table)
                .execute(&mut c)
                .await
                .expect("clear");
            for v in values {
                diesel::insert_into(rs::table)
                    .values(v)
                    .execute(&mut c)
                    .await
                    .expect("insert");
            }
        }
        RawConnection::Postgres(mut c) => {
            diesel::delete(rs::table)
                .execute(&mut c)
                .await
                .expect("clear");
            if !values.is_empty() {
                diesel::insert_into(rs::table)
                    .values(values)
                    .execute(&mut c)
                    .await
                    .expect("insert");
            }
        }
        _ => unreachable!("the tests build portcullis with sqlite and postgres only"),
    }
}

/// The ids where the `UPDATE` filter for `fields` holds.
async fn writable(pool: &Pool, ability: &Ability<Rs>, fields: u64) -> Vec<i64> {
    let scope = ability.scope::<Update>();
    let fields = FieldSet::from_bits(fields);
    match pool
        .unscoped("test fixture")
        .connection()
        .await
        .expect("connection")
    {
        RawConnection::Sqlite(mut c) => rs::table
            .filter(scope.__write_filter::<diesel::sqlite::Sqlite>(fields))
            .select(rs::id)
            .order(rs::id)
            .load(&mut c)
            .await
            .expect("write filter"),
        RawConnection::Postgres(mut c) => rs::table
            .filter(scope.__write_filter::<diesel::pg::Pg>(fields))
            .select(rs::id)
            .order(rs::id)
            .load(&mut c)
            .await
            .expect("write filter"),
        _ => unreachable!(),
    }
}

/// The ids a scoped query returns (named in full: diesel_async's `RunQueryDsl::load` is in
/// scope here and would be picked first).
async fn ids<A: Action>(q: &portcullis::Query<Rs, A>, pool: &Pool) -> Vec<i64>
where
    Rs: portcullis::Governs<A>,
{
    portcullis::Query::load(q, pool)
        .await
        .expect("scoped load")
        .iter()
        .map(|r| r.id)
        .collect()
}

async fn check(
    pool: &Pool,
    slots: &[Slot; 12],
    rows: &[Rs],
    filter: Narrow,
    written: u64,
) -> Vec<String> {
    let ability = ability(slots);
    let mut bad = Vec::new();
    let allowed = |bit: u32| -> Vec<i64> {
        rows.iter()
            .filter(|r| model(slots, bit, r).0)
            .map(|r| r.id)
            .collect()
    };

    // Scopes and decisions.
    let read = ability.scope::<Read>().query().order_by(|f| f.id.asc());
    let update = ability.scope::<Update>().query().order_by(|f| f.id.asc());
    let publish = ability.scope::<Publish>().query().order_by(|f| f.id.asc());
    for (name, bit, got) in [
        ("read", 0, ids(&read, pool).await),
        ("update", 2, ids(&update, pool).await),
        ("publish", 4, ids(&publish, pool).await),
    ] {
        let want = allowed(bit);
        if got != want {
            bad.push(format!("{name} scope: SQL {got:?}, model {want:?}"));
        }
    }
    for r in rows {
        let cans = [
            ability.can::<Read>(r),
            ability.can::<Update>(r),
            ability.can::<Publish>(r),
        ];
        let want = [0, 2, 4].map(|bit| model(slots, bit, r).0);
        if cans != want {
            bad.push(format!("can on row {}: {cans:?}, model {want:?}", r.id));
        }
        // Bind: one query answers missing / out of scope / in scope.
        let bound = Bind::<Rs, Read>::load(&ability, pool, r.id).await;
        if bound.is_ok() != want[0] {
            bad.push(format!(
                "Bind<read> on row {}: {:?}",
                r.id,
                bound.map(|_| ())
            ));
        }
        // Shaping: exposed fields the model permits for read.
        let json = serde_json::to_value(ability.shape(r.clone())).expect("shape");
        let got: Vec<&str> = json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let permitted = model(slots, 0, r).1 & EXPOSED;
        let mut want: Vec<&str> = (0..6)
            .filter(|i| permitted & (1 << i) != 0)
            .map(|i| JSON[i])
            .collect();
        want.sort_unstable();
        let mut got = got;
        got.sort_unstable();
        if got != want {
            bad.push(format!("shaped row {}: {got:?}, model {want:?}", r.id));
        }
    }

    // Narrowing never widens: exactly scope ∩ filter.
    let got = ids(&narrowed!(ability.scope::<Read>(), filter), pool).await;
    let want: Vec<i64> = rows
        .iter()
        .filter(|r| model(slots, 0, r).0 && filter.holds(r))
        .map(|r| r.id)
        .collect();
    if got != want {
        bad.push(format!(
            "narrowed by {filter:?}: SQL {got:?}, model {want:?}"
        ));
    }

    // The UPDATE's filter for the written fields.
    let got = writable(pool, &ability, written).await;
    let want: Vec<i64> = rows
        .iter()
        .filter(|r| {
            let (ok, fields) = model(slots, 2, r);
            ok && fields & written == written
        })
        .map(|r| r.id)
        .collect();
    if got != want {
        bad.push(format!(
            "update filter for fields {written:#b}: SQL {got:?}, model {want:?}"
        ));
    }
    bad
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
fn random_rule_sets_agree_in_sql_decisions_bind_and_shaping() {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let dbs = rt.block_on(common::databases("ruleset", SQLITE_DDL, PG_DDL));
    for db in dbs {
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (
            slots(),
            prop::collection::vec(row(), 0..8),
            narrow(),
            // Written fields: a non-empty subset of a, b, s, g (never the key).
            prop::sample::subsequence(vec![1u32, 2, 3, 5], 1..=4)
                .prop_map(|v| v.into_iter().fold(0u64, |acc, i| acc | (1 << i))),
        );
        let result = runner.run(&strategy, |(slots, rows, filter, written)| {
            let rows: Vec<Rs> = rows
                .into_iter()
                .enumerate()
                .map(|(i, (a, b, s, f, g))| Rs {
                    id: i as i64 + 1,
                    a,
                    b,
                    s,
                    f,
                    g,
                })
                .collect();
            let bad = rt.block_on(async {
                reset(&db.pool, &rows).await;
                check(&db.pool, &slots, &rows, filter, written).await
            });
            if bad.is_empty() {
                Ok(())
            } else {
                Err(TestCaseError::fail(format!(
                    "{}: {}",
                    db.name,
                    bad.join("\n")
                )))
            }
        });
        if let Err(e) = result {
            panic!("{}: a random rule set disagrees: {e}", db.name);
        }
        eprintln!("{}: {} random rule sets agreed", db.name, cases());
        rt.block_on(db.cleanup());
    }
}
