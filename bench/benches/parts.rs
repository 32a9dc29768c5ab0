//! The authentication steps of one request timed one by one, example against twin: where the
//! gap on `GET /docs/1` (which lists nothing) comes from.
//!
//! - `jwt verify`: the example's `JwtService::verify` (strict pre-parse of the header and
//!   payload, then `jsonwebtoken`) against the twin's `jsonwebtoken::decode` with the same
//!   rules;
//! - `deny-list`: the example's `DieselRevocationStore::is_revoked` (a `diesel::sql_query`,
//!   which diesel never keeps as a prepared statement) against the twin's DSL query (prepared
//!   once per connection), on the same pool.
//!
//! `cargo bench -p portcullis-bench --bench parts`. Batches interleaved, order alternating;
//! medians over rounds of the time per call and of the paired ratio.

use portcullis::authn::revocation::{DieselRevocationStore, RevocationStore};
use portcullis::db::Pool;
use portcullis_bench::fixture::Pair;
use portcullis_bench::stats::{human, median};
use portcullis_example::TokenClaims;
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

/// Nanoseconds per call of `batch` calls of `f`.
fn per_call<T>(batch: u32, mut f: impl FnMut() -> T) -> f64 {
    let start = Instant::now();
    for _ in 0..batch {
        black_box(f());
    }
    start.elapsed().as_nanos() as f64 / f64::from(batch)
}

fn main() {
    let (rt, pair) = Pair::start_blocking("parts").unwrap_or_else(|e| panic!("{e}"));
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
        (ours.sub, ours.jti.as_deref()),
        (theirs.sub, Some(&*theirs.jti))
    );
    let jti = theirs.jti;
    let Pool::Sqlite(sqlite) = &pair.state.pool else {
        panic!("the bench runs on SQLite")
    };
    let store = DieselRevocationStore::new(pair.state.pool.clone());
    let rounds = if std::env::args().any(|a| a == "--test") {
        1
    } else {
        401
    };

    let verify = paired(
        rounds,
        || per_call(50, || jwt.verify::<TokenClaims>(token).is_ok()),
        || per_call(50, || keys.verify(token).is_some()),
    );
    let deny = paired(
        rounds,
        || rt.block_on(async { per_call_async(50, || store.is_revoked(&jti)).await }),
        || {
            rt.block_on(async {
                per_call_async(50, || portcullis_plain_twin::is_revoked(sqlite, &jti)).await
            })
        },
    );
    eprintln!();
    eprintln!("authentication steps, example vs twin (medians per call)");
    eprintln!(
        "{:<11} {:>11} {:>11} {:>8} {:>10}",
        "step", "example", "twin", "e/twin", "e - twin"
    );
    for (name, [e, t, r]) in [("jwt verify", verify), ("deny-list", deny)] {
        eprintln!(
            "{name:<11} {:>11} {:>11} {r:>7.2}x {:>10}",
            human(e),
            human(t),
            human(e - t)
        );
    }
}

/// Nanoseconds per call of `batch` awaited calls of `f`.
async fn per_call_async<F: Future>(batch: u32, mut f: impl FnMut() -> F) -> f64 {
    let start = Instant::now();
    for _ in 0..batch {
        black_box(f().await);
    }
    start.elapsed().as_nanos() as f64 / f64::from(batch)
}
