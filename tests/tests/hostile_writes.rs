//! Hostile floats on the write path (issue 21): a value the backend cannot store must never
//! reach an `INSERT` or `UPDATE` (SQLite turns NaN into NULL: a 500 on a `NOT NULL` column, a
//! silently lost value on a nullable one). JSON cannot carry NaN or ±∞, so a body holding them
//! is refused before any field is read; a string such as `"NaN"` is a field of the wrong type
//! (422 naming it); and a create rule never pins a NaN subject value (it matches no comparison,
//! so the rule could not allow the row it would build). Extreme finite values round-trip
//! exactly on every backend.

mod common;

use portcullis::{Bind, Insert, Patch, Policy, Problem, Read, Resource, Update, policy};

diesel::table! {
    hw (id) {
        id -> BigInt,
        owner -> BigInt,
        x -> Double,
        y -> Nullable<Double>,
    }
}

#[derive(Debug, Clone, PartialEq, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = hw)]
pub struct Hw {
    #[expose]
    pub id: i64,
    #[expose]
    pub owner: i64,
    #[expose]
    pub x: f64,
    #[expose]
    pub y: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Writer {
    pub id: i64,
    pub t: f64,
    pub ot: Option<f64>,
}

#[policy(Hw, subject = Writer)]
pub fn hw_policy(w: &Writer) {
    allow!(read, update where owner == w.id);
    // Both pin `x`/`y` from the subject when the body leaves them out.
    allow!(create where owner == w.id && x == w.t);
    allow!(create where owner == w.id && y == w.ot);
}

const HW_SQLITE: &str =
    "CREATE TABLE hw (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, x REAL NOT NULL, y REAL);";
const HW_PG: &str = "CREATE TABLE hw (id BIGSERIAL PRIMARY KEY, owner BIGINT NOT NULL,
    x DOUBLE PRECISION NOT NULL, y DOUBLE PRECISION);";

fn writer(t: f64, ot: Option<f64>) -> Writer {
    Writer { id: 1, t, ot }
}

fn field_error(p: &Problem) -> (u16, &str, &str) {
    let e = p.errors().first().expect("a field error");
    (p.status().as_u16(), e.field.as_ref(), e.code.as_ref())
}

#[test]
fn bodies_holding_nan_or_infinity_are_refused_before_any_write() {
    // Not JSON at all: 400, for both inputs.
    for body in [
        &br#"{"x": NaN}"#[..],
        br#"{"x": Infinity}"#,
        br#"{"y": -Infinity}"#,
        br#"{"x": 1e400}"#,
    ] {
        let create = Insert::<Hw>::from_json(body).unwrap_err();
        let patch = Patch::<Hw>::from_json(body).unwrap_err();
        let text = String::from_utf8_lossy(body);
        assert_eq!(create.status(), 400, "create {text}");
        assert_eq!(patch.status(), 400, "patch {text}");
    }
    // JSON, but a string where a number belongs: 422 naming the field.
    for (body, field) in [
        (&br#"{"x": "NaN"}"#[..], "x"),
        (br#"{"y": "inf"}"#, "y"),
        (br#"{"x": "-Infinity"}"#, "x"),
    ] {
        let create = Insert::<Hw>::from_json(body).unwrap_err();
        let patch = Patch::<Hw>::from_json(body).unwrap_err();
        assert_eq!(field_error(&create), (422, field, "invalid"));
        assert_eq!(field_error(&patch), (422, field, "invalid"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nan_subject_value_is_never_pinned_into_a_new_row() {
    for db in common::databases("hostile_writes_pin", HW_SQLITE, HW_PG).await {
        // `x == NaN` pins nothing and allows nothing; `y == 2.0` pins y, but x is still
        // missing: 422 naming x, and nothing written.
        let nan = Hw::ability(&writer(f64::NAN, Some(2.0)));
        let err = Insert::<Hw>::from_json(b"{}")
            .unwrap()
            .insert(&nan, &db.pool)
            .await
            .unwrap_err();
        assert_eq!(field_error(&err), (422, "x", "missing"), "{}", db.name);

        // Both pins NaN: the row names its own x, neither rule matches y = NULL: 403.
        let both = Hw::ability(&writer(f64::NAN, Some(f64::NAN)));
        let err = Insert::<Hw>::from_json(br#"{"x": 1.5}"#)
            .unwrap()
            .insert(&both, &db.pool)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 403, "{}", db.name);
        assert_eq!(
            nan.scope::<Read>().query().count(&db.pool).await.unwrap(),
            0,
            "{}: refused creates wrote nothing",
            db.name
        );

        // The second rule still serves: x from the body, y pinned to 2.0.
        let row = Insert::<Hw>::from_json(br#"{"x": 1.5}"#)
            .unwrap()
            .insert(&nan, &db.pool)
            .await
            .unwrap();
        assert_eq!((row.x, row.y), (1.5, Some(2.0)), "{}", db.name);
        db.cleanup().await;
    }
}

/// The bits a float must keep: all of them, except that SQLite stores an integral REAL as an
/// integer and so gives -0.0 back as 0.0 (equal under the README's float semantics).
fn same(backend: &str, v: f64) -> u64 {
    if backend == "sqlite" && v == 0.0 {
        0.0f64.to_bits()
    } else {
        v.to_bits()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn extreme_finite_floats_round_trip_exactly() {
    let extremes = [
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324, // the smallest subnormal
        -0.0,
        0.1 + 0.2,
    ];
    for db in common::databases("hostile_writes_round_trip", HW_SQLITE, HW_PG).await {
        for &v in &extremes {
            let w = writer(v, Some(v));
            let ability = Hw::ability(&w);
            // `{:?}` prints the shortest text that reads back as the same f64.
            let body = format!(r#"{{"x": {v:?}}}"#);
            let created = Insert::<Hw>::from_json(body.as_bytes())
                .unwrap()
                .insert(&ability, &db.pool)
                .await
                .unwrap_or_else(|e| panic!("{}: create x = {v:?}: {e}", db.name));
            assert_eq!(
                same(db.name, created.x),
                same(db.name, v),
                "{}: x = {v:?}",
                db.name
            );

            let bind = Bind::<Hw, Update>::load(&ability, &db.pool, created.id)
                .await
                .unwrap();
            let patch = Patch::<Hw>::from_json(format!(r#"{{"y": {v:?}}}"#).as_bytes()).unwrap();
            let updated = bind.update(patch, &db.pool).await.unwrap();
            let stored = Bind::<Hw, Read>::load(&ability, &db.pool, created.id)
                .await
                .unwrap()
                .into_inner();
            let want = Some(same(db.name, v));
            let name = db.name;
            assert_eq!(updated.get().y.map(|y| same(name, y)), want, "{name}");
            assert_eq!(stored.y.map(|y| same(name, y)), want, "{name}");
        }
        db.cleanup().await;
    }
}
