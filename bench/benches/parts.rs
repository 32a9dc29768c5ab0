//! One `GET /docs?limit=50` (SQLite, 10,000 documents) taken apart: each step the example takes
//! timed alone against the twin's way of doing the same, and the whole request through
//! `oneshot`, so the end-to-end gap can be attributed.
//!
//! - `jwt verify`: the example's `JwtService::verify` (strict pre-parse of the header and
//!   payload, then `jsonwebtoken`) against the twin's `jsonwebtoken::decode` with the same
//!   rules;
//! - `deny-list`: the example's `DieselRevocationStore::is_revoked` against the twin's DSL
//!   query, each on its own pool (same database, same settings);
//! - `scope build`: the example's policy evaluated for the caller and the scoped query built
//!   (`documents(&user).scope::<Read>().query().order_by(id desc)`); the twin has no such step
//!   (its `WHERE tenant_id = ?` is written into the query);
//! - `SQL, 51 rows`: `Query::page_after(None, 50)` against the twin's `cursor_page` (both: one
//!   pool checkout, `WHERE tenant_id = ? ORDER BY id DESC LIMIT 51`, rows decoded, next cursor),
//!   then split: the twin's query selecting the example's 7 columns (`internal_notes` too,
//!   which the example loads and never exposes) against each;
//! - `shape`: `scope.shape_with_capabilities(page, DOC_ACTIONS)` (the fields the caller may
//!   read and the `"_can"` answers, per row); the twin moves `body` into an `Option` and
//!   computes its `"_can"` while loading (inside its SQL step);
//! - `serialize`: the shaped page to JSON against the twin's `#[derive(Serialize)]` page;
//! - `whole request`: through `oneshot` on each router; `rest` is the whole minus the steps
//!   above: routing, the guard's authenticator chain and extractors, the route limiter, query
//!   parameter parsing, the response.
//!
//! `cargo bench -p portcullis-bench --bench parts`. Batches interleaved, order alternating;
//! medians over rounds of the time per call and of the paired ratio.

use portcullis::Read;
use portcullis::authn::revocation::{DieselRevocationStore, RevocationStore};
use portcullis_bench::fixture::{self, DOCS_URI, Db, Pair};
use portcullis_bench::stats::{human, median};
use portcullis_example::model::documents;
use portcullis_example::{DOC_ACTIONS, TokenClaims, User};
use portcullis_plain_twin::Seek;
use std::hint::black_box;
use std::time::Instant;

/// Medians of `a` and `b` (ns per call) and of their paired ratio over `rounds` rounds.
fn paired(rounds: usize, mut a: impl FnMut() -> f64, mut b: impl FnMut() -> f64) -> [f64; 3] {
    let (mut ta, mut tb, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = a();
            (x, b())
        } else {
            let y = b();
            (a(), y)
        };
        ta.push(x);
        tb.push(y);
        r.push(x / y);
    }
    [median(&ta), median(&tb), median(&r)]
}

/// Median ns per call of `f` alone over `rounds` rounds.
fn alone(rounds: usize, mut f: impl FnMut() -> f64) -> f64 {
    let t: Vec<f64> = (0..rounds).map(|_| f()).collect();
    median(&t)
}

/// Nanoseconds per call of `batch` calls of `f`.
fn per_call<T>(batch: u32, mut f: impl FnMut() -> T) -> f64 {
    let start = Instant::now();
    for _ in 0..batch {
        black_box(f());
    }
    start.elapsed().as_nanos() as f64 / f64::from(batch)
}

/// Nanoseconds per call of `batch` awaited calls of `f`.
async fn per_call_async<F: Future>(batch: u32, mut f: impl FnMut() -> F) -> f64 {
    let start = Instant::now();
    for _ in 0..batch {
        black_box(f().await);
    }
    start.elapsed().as_nanos() as f64 / f64::from(batch)
}

fn main() {
    let (rt, pair) =
        Pair::start_blocking(|_| Ok(Db::sqlite("parts"))).unwrap_or_else(|e| panic!("{e}"));
    let token = pair.token.as_str();
    let jwt = &pair.state.jwt;
    let keys = portcullis_plain_twin::Keys::from_jwks(
        &jwt.jwks_json(),
        portcullis_example::TOKEN_ISSUER,
        portcullis_example::TOKEN_AUDIENCE,
    )
    .expect("JWKS");
    let ours = jwt
        .verify::<TokenClaims>(token)
        .expect("the example accepts its token");
    let theirs = keys
        .verify(token)
        .expect("the twin accepts the example's token");
    assert_eq!(
        (ours.sub.as_str(), ours.jti.as_deref()),
        (theirs.sub.as_str(), Some(&*theirs.jti))
    );
    let user = User {
        id: ours.sub.parse().expect("numeric subject"),
        tenant_id: ours.custom.tid,
        admin: ours.custom.role == "admin",
    };
    let viewer = portcullis_plain_twin::Viewer {
        id: user.id,
        tenant_id: user.tenant_id,
        admin: user.admin,
    };
    let jti = theirs.jti;
    let pool = &pair.state.pool;
    // The twin's own pool on the same database, set up as the example's.
    let twin_config = portcullis_bench::plain::config(pair.db(), &jwt.jwks_json())
        .unwrap_or_else(|e| panic!("{e}"));
    let twin_pool = rt
        .block_on(portcullis_plain_twin::connect(&twin_config))
        .expect("twin pool");
    let store = DieselRevocationStore::new(pool.clone());
    // Not run by `cargo bench` (which passes `--bench`): one round, a smoke check.
    let args: Vec<String> = std::env::args().collect();
    let smoke = !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--test");
    let rounds = if smoke { 1 } else { 301 };
    let first_page = Seek::NewestFirst(None);

    // The two pages are the same JSON (the e2e comparison checked the responses; this checks
    // the steps' output).
    let (ours_json, theirs_json) = rt.block_on(async {
        let scope = documents(&user).scope::<Read>();
        let page = scope
            .query()
            .order_by(|f| f.id.desc())
            .page_after(None, 50, pool)
            .await
            .expect("example page");
        let theirs =
            portcullis_plain_twin::cursor_page(&twin_pool, &viewer, &first_page, 50, false)
                .await
                .expect("twin page");
        (
            serde_json::to_vec(&scope.shape_with_capabilities(page, DOC_ACTIONS)).expect("JSON"),
            serde_json::to_vec(&theirs).expect("JSON"),
        )
    });
    assert_eq!(
        String::from_utf8_lossy(&ours_json),
        String::from_utf8_lossy(&theirs_json)
    );

    let verify = paired(
        rounds,
        || per_call(50, || jwt.verify::<TokenClaims>(token).is_ok()),
        || per_call(50, || keys.verify(token).is_some()),
    );
    let deny = paired(
        rounds,
        || rt.block_on(per_call_async(50, || store.is_revoked(&jti))),
        || {
            rt.block_on(per_call_async(50, || {
                portcullis_plain_twin::is_revoked(&twin_pool, &jti)
            }))
        },
    );
    let scope_build = alone(rounds, || {
        per_call(200, || {
            documents(&user)
                .scope::<Read>()
                .query()
                .order_by(|f| f.id.desc())
        })
    });
    let sql = paired(
        rounds,
        || {
            rt.block_on(async {
                let q = documents(&user)
                    .scope::<Read>()
                    .query()
                    .order_by(|f| f.id.desc());
                per_call_async(10, || q.page_after(None, 50, pool)).await
            })
        },
        || {
            rt.block_on(per_call_async(10, || {
                portcullis_plain_twin::cursor_page(&twin_pool, &viewer, &first_page, 50, false)
            }))
        },
    );
    // The SQL step split: the twin's query loading the example's 7 columns (with
    // `internal_notes`, which the example loads and never exposes) against the example's
    // `page_after`, and against the twin's own 6 columns.
    let seven = || {
        rt.block_on(per_call_async(10, || {
            all_columns(&twin_pool, user.tenant_id)
        }))
    };
    let machinery = paired(
        rounds,
        || {
            rt.block_on(async {
                let q = documents(&user)
                    .scope::<Read>()
                    .query()
                    .order_by(|f| f.id.desc());
                per_call_async(10, || q.page_after(None, 50, pool)).await
            })
        },
        seven,
    );
    let column = paired(rounds, seven, || {
        rt.block_on(per_call_async(10, || {
            portcullis_plain_twin::cursor_page(&twin_pool, &viewer, &first_page, 50, false)
        }))
    });
    let scope = documents(&user).scope::<Read>();
    let page = || {
        rt.block_on(
            scope
                .query()
                .order_by(|f| f.id.desc())
                .page_after(None, 50, pool),
        )
        .expect("page")
    };
    let pages: Vec<_> = (0..20).map(|_| page()).collect();
    let shape = alone(rounds, || {
        // Each page is cloned to be shaped; the clones are timed apart and subtracted.
        let mut to_shape = pages_clone(&pages);
        let with_clone = per_call(20, || {
            scope.shape_with_capabilities(to_shape.next().expect("20 pages"), DOC_ACTIONS)
        });
        let mut to_drop = pages_clone(&pages);
        let clone_only = per_call(20, || to_drop.next().expect("20 pages"));
        with_clone - clone_only
    });
    let shaped = scope.shape_with_capabilities(page(), DOC_ACTIONS);
    let theirs_page = rt
        .block_on(portcullis_plain_twin::cursor_page(
            &twin_pool,
            &viewer,
            &first_page,
            50,
            false,
        ))
        .expect("twin page");
    let serialize = paired(
        rounds,
        || per_call(20, || serde_json::to_vec(&shaped).map(|v| v.len())),
        || per_call(20, || serde_json::to_vec(&theirs_page).map(|v| v.len())),
    );
    let auth = fixture::bearer(token).expect("header");
    let whole = paired(
        rounds,
        || {
            rt.block_on(per_call_async(10, || {
                fixture::call(
                    &pair.example,
                    fixture::get(DOCS_URI, Some(&auth)).expect("req"),
                )
            }))
        },
        || {
            rt.block_on(per_call_async(10, || {
                fixture::call(
                    &pair.twin,
                    fixture::get(DOCS_URI, Some(&auth)).expect("req"),
                )
            }))
        },
    );

    // The twin has no step of its own for `scope build` and `shape` (`None`).
    let steps = [
        ("jwt verify", verify[0], Some(verify[1])),
        ("deny-list", deny[0], Some(deny[1])),
        ("scope build", scope_build, None),
        ("SQL, 51 rows", sql[0], Some(sql[1])),
        ("shape", shape, None),
        ("serialize", serialize[0], Some(serialize[1])),
    ];
    let sum = steps.iter().fold([0.0, 0.0], |s, (_, e, t)| {
        [s[0] + e, s[1] + t.unwrap_or(0.0)]
    });
    eprintln!();
    eprintln!(
        "GET {DOCS_URI} on {} taken apart, example vs twin (medians per call)",
        pair.label
    );
    eprintln!(
        "{:<15} {:>11} {:>11} {:>8} {:>10}",
        "step", "example", "twin", "e/twin", "e - twin"
    );
    let line = |name: &str, e: f64, t: Option<f64>| {
        let (twin, ratio) = match t {
            Some(t) => (human(t), format!("{:>7.2}x", e / t)),
            None => ("-".to_owned(), format!("{:>8}", "-")),
        };
        eprintln!(
            "{name:<15} {:>11} {twin:>11} {ratio} {:>10}",
            human(e),
            human(e - t.unwrap_or(0.0))
        );
    };
    for (name, e, t) in steps {
        line(name, e, t);
    }
    line("sum of steps", sum[0], Some(sum[1]));
    line("whole request", whole[0], Some(whole[1]));
    line("rest", whole[0] - sum[0], Some(whole[1] - sum[1]));
    eprintln!(
        "SQL step split: diesel loading the example's 7 columns {} against the twin's 6 columns \
         {} ({:+.2} µs, {:.2}x); the example's page_after against that 7-column query {:+.2} µs \
         ({:.2}x)",
        human(column[0]),
        human(column[1]),
        (column[0] - column[1]) / 1e3,
        column[2],
        (machinery[0] - machinery[1]) / 1e3,
        machinery[2],
    );
    eprintln!(
        "(rest = whole - steps: routing, authenticator chain and extractors, route limiter, \
         query parsing, response. Steps timed alone pay their own thread hand-offs (tokio's \
         blocking pool for every SQLite query), which the chained request partly overlaps, so \
         `rest` can be negative; its e - twin column is the part of the gap no step explains.)"
    );
}

/// The same pages again, for timing the clone alone.
fn pages_clone(
    pages: &[portcullis::page::CursorPage<portcullis_example::model::Document>],
) -> impl Iterator<Item = portcullis::page::CursorPage<portcullis_example::model::Document>> + '_ {
    pages.iter().map(|p| portcullis::page::CursorPage {
        items: p.items.clone(),
        next: p.next.clone(),
        total: p.total,
    })
}

/// The twin's first-page query, but selecting every column of the example's `Document` (as
/// the example's scoped load does): 51 rows, no shaping.
async fn all_columns(pool: &portcullis_plain_twin::Pool, tenant: i64) -> usize {
    use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
    use diesel_async::RunQueryDsl;
    use portcullis_example::model::{Document, documents};
    let portcullis_plain_twin::Pool::Sqlite(p) = pool else {
        panic!("the bench runs on SQLite")
    };
    let mut conn = p.get().await.expect("connection");
    let rows: Vec<Document> = documents::table
        .filter(documents::tenant_id.eq(tenant))
        .select(Document::as_select())
        .order(documents::id.desc())
        .limit(51)
        .into_boxed()
        .load(&mut *conn)
        .await
        .expect("rows");
    rows.len()
}
