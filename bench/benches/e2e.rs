//! End-to-end criterion benchmark: the whole example router (`portcullis-example`) against the
//! same reads written by hand in plain axum + diesel (`portcullis-plain-twin`), one run.
//!
//! - `GET /docs?per_page=50`: bearer JWT (EdDSA) verified, its `jti` looked up in the deny-list
//!   table, the per-user route limit counted, the caller's tenant's documents counted and one
//!   page of 50 loaded (newest first), archived ones without their body, as JSON;
//! - `GET /docs/1`: the same authentication and one document by id (404/403 checks).
//!
//! Both run on one SQLite file: the demo seed plus 60 documents per tenant (two tenants), with
//! the route limits raised so no request is refused ([`fixture::BenchLimits`]). Every request
//! goes through `tower::ServiceExt::oneshot` on the built `axum::Router`; the answers are
//! checked identical first ([`fixture::compare`]).
//!
//! A third variant, `plain_policy_sql`, is the twin filtering `GET /docs` with the very `WHERE`
//! the example's two read rules compile to (`(tenant AND NOT archived) OR (tenant AND
//! archived)`) instead of the `tenant_id = ?` a person writes: portcullis / plain is what the
//! framework costs as a whole, portcullis / plain_policy_sql what it costs besides that SQL.
//!
//! Run with `cargo bench -p portcullis-bench --bench e2e` (add `-- skip-criterion` for the
//! ratio table only; `-- --profile-time 5 'GET /docs/1/portcullis$'` runs one variant alone,
//! for a profiler). The ratio table comes from separate runs in which the two variants are
//! interleaved in batches, the order alternating every round, so machine load hits both alike:
//! per variant the median over rounds of the time per request, per ratio the median over rounds
//! of the paired ratio.

use axum::http::HeaderValue;
use criterion::Criterion;
use portcullis_bench::fixture::{self, DOCS_URI, Pair};
use portcullis_bench::stats::{human, median, quantile};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// Times `batch` requests in one `block_on`; nanoseconds per request.
fn time_batch(rt: &Runtime, app: &axum::Router, uri: &str, auth: &HeaderValue, batch: u32) -> f64 {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..batch {
            let req = fixture::get(uri, Some(auth)).expect("request");
            black_box(fixture::call(app, req).await.expect("response"));
        }
        start.elapsed().as_nanos() as f64 / f64::from(batch)
    })
}

/// The variants, in the order of every table.
const NAMES: [&str; 3] = ["portcullis", "plain", "plain_policy_sql"];

/// One line of the ratio table.
struct Ratio {
    uri: &'static str,
    /// Median ns per request of each variant.
    ns: [f64; 3],
    /// Median of the paired ratios portcullis / plain, with quartiles.
    ratio: f64,
    iqr: (f64, f64),
    /// Median of the paired ratios portcullis / plain_policy_sql.
    vs_policy_sql: f64,
    target: Option<f64>,
}

fn interleaved(
    rt: &Runtime,
    apps: [&axum::Router; 3],
    uri: &'static str,
    auth: &HeaderValue,
    target: Option<f64>,
    (rounds, batch): (usize, u32),
) -> Ratio {
    for app in apps {
        time_batch(rt, app, uri, auth, batch);
    }
    let mut per: [Vec<f64>; 3] = Default::default();
    let (mut ratios, mut vs_policy_sql) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let mut t = [0.0; 3];
        for k in 0..3 {
            let i = (round + k) % 3;
            t[i] = time_batch(rt, apps[i], uri, auth, batch);
        }
        for (v, t) in per.iter_mut().zip(t) {
            v.push(t);
        }
        ratios.push(t[0] / t[1]);
        vs_policy_sql.push(t[0] / t[2]);
    }
    Ratio {
        uri,
        ns: [median(&per[0]), median(&per[1]), median(&per[2])],
        ratio: median(&ratios),
        iqr: (quantile(&ratios, 0.25), quantile(&ratios, 0.75)),
        vs_policy_sql: median(&vs_policy_sql),
        target,
    }
}

/// `cargo test --benches` passes `--test`: one round, a smoke check with no verdict.
fn smoke() -> bool {
    std::env::args().any(|a| a == "--test")
}

fn print_ratios(rows: &[Ratio]) {
    eprintln!();
    eprintln!("portcullis example vs plain axum + diesel, interleaved runs (medians per request)");
    eprintln!(
        "{:<22} {:>11} {:>11} {:>11} {:>8} {:>13} {:>8} {:>6} {:>10}  verdict",
        "request",
        "portcullis",
        "plain",
        "plain+pSQL",
        "p/plain",
        "p/plain IQR",
        "p/p+pSQL",
        "target",
        "p - plain"
    );
    if smoke() {
        eprintln!("(--test: one round per run, no verdicts)");
    }
    for r in rows {
        let (target, verdict) = match r.target {
            Some(t) if smoke() => (format!("{t:.2}x"), "-"),
            Some(t) if r.ratio <= t => (format!("{t:.2}x"), "ok"),
            Some(t) => (format!("{t:.2}x"), "MISSED"),
            None => ("-".to_owned(), "-"),
        };
        let iqr = format!("{:.3}-{:.3}", r.iqr.0, r.iqr.1);
        eprintln!(
            "GET {:<18} {:>11} {:>11} {:>11} {:>7.3}x {iqr:>13} {:>7.3}x {target:>6} {:>10}  {verdict}",
            r.uri,
            human(r.ns[0]),
            human(r.ns[1]),
            human(r.ns[2]),
            r.ratio,
            r.vs_policy_sql,
            human(r.ns[0] - r.ns[1]),
        );
    }
    eprintln!("(plain+pSQL: the twin with the WHERE the example's policy compiles to)");
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    // Fails loudly, listing every difference, when a twin does not answer like the example.
    let (rt, pair) = Pair::start_blocking("e2e").unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "the twin answers {} requests exactly like the example",
        pair.compared
    );
    let auth = fixture::bearer(&pair.token).expect("token header");
    let apps = [&pair.example, &pair.twin, &pair.twin_policy_where];

    for uri in [DOCS_URI, "/docs/1"] {
        let mut g = c.benchmark_group(format!("GET {uri}"));
        for (name, app) in NAMES.into_iter().zip(apps) {
            g.bench_function(name, |b| {
                b.iter(|| {
                    let req = fixture::get(uri, Some(&auth)).expect("request");
                    rt.block_on(fixture::call(app, req)).expect("response")
                })
            });
        }
        g.finish();
    }

    // `--profile-time N` (criterion's profiling mode): only the filtered variant runs, so a
    // profiler sees nothing else.
    if std::env::args().any(|a| a == "--profile-time") {
        return;
    }
    let (docs, one) = if smoke() {
        ((1, 1), (1, 1))
    } else {
        ((1001, 4), (601, 10))
    };
    let ratios = [
        interleaved(&rt, apps, DOCS_URI, &auth, Some(1.05), docs),
        interleaved(&rt, apps, "/docs/1", &auth, None, one),
    ];
    c.final_summary();
    print_ratios(&ratios);
}
