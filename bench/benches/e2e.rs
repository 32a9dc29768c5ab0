//! End-to-end criterion benchmark: the whole example router (`portcullis-example`) against the
//! same reads written by hand in plain axum + diesel (`portcullis-plain-twin`), in one run, on
//! data of realistic size: SQLite with 10,000 documents (5,000 per tenant); with
//! `PORTCULLIS_TEST_SERVICES=1` also PostgreSQL (127.0.0.1:5432, database `test`, a schema of
//! its own, dropped afterwards) with 100,000.
//!
//! Per request: bearer JWT (EdDSA) verified, its `jti` looked up in the deny-list table, the
//! per-user route limit counted, then
//!
//! - `GET /docs?limit=50`: the first keyset page of the caller's tenant, newest first (51 rows
//!   read, no count), archived documents without their body, as JSON;
//! - the same by cursor deep in the list: page 80 (`?limit=50&after=<cursor>`, rows
//!   3,951–4,000; the cursor found by walking the pages);
//! - the same rows by offset, `?page=80&per_page=50` (a count of the tenant's documents and an
//!   `OFFSET 3950`);
//! - `GET /docs/{id}`: one document by id (404/403 checks).
//!
//! Route limits are raised so no request is refused ([`fixture::BenchLimits`]). Every request
//! goes through `tower::ServiceExt::oneshot` on the built `axum::Router`; the answers are
//! checked identical first ([`fixture::compare`], 147 requests).
//!
//! Run with `cargo bench -p portcullis-bench --bench e2e` (add `-- skip-criterion` for the
//! ratio table only; `-- --profile-time 5 'SQLite.*GET /docs\?limit=50/portcullis$'` runs one
//! variant alone, for a profiler). The ratio table comes from separate runs in which the two
//! variants are interleaved in batches, the order alternating every round, so machine load hits
//! both alike: per variant the median over rounds of the time per request, per ratio the median
//! over rounds of the paired ratio.

use axum::http::HeaderValue;
use criterion::Criterion;
use portcullis_bench::fixture::{self, DEEP_OFFSET_URI, DOCS_URI, Db, Pair};
use portcullis_bench::stats::{human, median, quantile};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// The target for the list requests: portcullis / plain ≤ 1.05.
const TARGET: f64 = 1.05;
/// Interleaved measurement per request and backend.
const INTERLEAVED: Duration = Duration::from_secs(8);
/// Time of one batch.
const BATCH: Duration = Duration::from_millis(2);

/// One of the two servers measured.
#[derive(Clone, Copy)]
enum Side<'a> {
    Example(&'a portcullis::App),
    Twin(&'a axum::Router),
}

impl Side<'_> {
    /// One request through `oneshot`.
    async fn call(self, uri: &str, auth: &HeaderValue) -> fixture::Reply {
        let req = fixture::get(uri, Some(auth)).expect("request");
        match self {
            Side::Example(app) => fixture::call(app, req).await,
            Side::Twin(app) => fixture::call(app, req).await,
        }
        .expect("response")
    }
}

/// Times `batch` requests in one `block_on`; nanoseconds per request.
fn time_batch(rt: &Runtime, app: Side<'_>, uri: &str, auth: &HeaderValue, batch: u32) -> f64 {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..batch {
            black_box(app.call(uri, auth).await);
        }
        start.elapsed().as_nanos() as f64 / f64::from(batch)
    })
}

/// The variants, in the order of every table.
const NAMES: [&str; 2] = ["portcullis", "plain"];

/// One measured request.
struct Case {
    /// How the tables name it.
    label: &'static str,
    uri: String,
    target: Option<f64>,
}

fn cases(pair: &Pair) -> [Case; 4] {
    [
        Case {
            label: "GET /docs?limit=50",
            uri: DOCS_URI.to_owned(),
            target: Some(TARGET),
        },
        Case {
            label: "page 80 by cursor",
            uri: pair.compared.deep_cursor_uri.clone(),
            target: Some(TARGET),
        },
        Case {
            label: "page 80 by offset",
            uri: DEEP_OFFSET_URI.to_owned(),
            target: Some(TARGET),
        },
        Case {
            label: "GET /docs/{id}",
            uri: pair.compared.doc_uri.clone(),
            target: None,
        },
    ]
}

/// One line of the ratio table.
struct Ratio {
    label: &'static str,
    /// Median ns per request of each variant.
    ns: [f64; 2],
    /// Median of the paired ratios portcullis / plain, with quartiles.
    ratio: f64,
    iqr: (f64, f64),
    rounds: usize,
    target: Option<f64>,
}

/// Interleaved batches for about [`INTERLEAVED`] (one round in smoke mode).
fn interleaved(rt: &Runtime, apps: [Side<'_>; 2], case: &Case, auth: &HeaderValue) -> Ratio {
    let uri = case.uri.as_str();
    // Warm-up, and the batch size from it.
    let warm: Vec<f64> = apps
        .iter()
        .map(|app| time_batch(rt, *app, uri, auth, 20))
        .collect();
    let per = warm.iter().sum::<f64>() / 2.0;
    let batch = ((BATCH.as_nanos() as f64 / per).round() as u32).max(1);
    let rounds = if smoke() {
        1
    } else {
        let round = 2.0 * f64::from(batch) * per;
        ((INTERLEAVED.as_nanos() as f64 / round) as usize).clamp(51, 2001)
    };
    let mut times: [Vec<f64>; 2] = Default::default();
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut t = [0.0; 2];
        for k in 0..2 {
            let i = (round + k) % 2;
            t[i] = time_batch(rt, apps[i], uri, auth, batch);
        }
        times[0].push(t[0]);
        times[1].push(t[1]);
        ratios.push(t[0] / t[1]);
    }
    Ratio {
        label: case.label,
        ns: [median(&times[0]), median(&times[1])],
        ratio: median(&ratios),
        iqr: (quantile(&ratios, 0.25), quantile(&ratios, 0.75)),
        rounds,
        target: case.target,
    }
}

/// Not run by `cargo bench` (which passes `--bench`; `cargo test --benches` passes nothing, or
/// `--test`): one round, a smoke check with no verdict (it is a debug build then).
fn smoke() -> bool {
    let args: Vec<String> = std::env::args().collect();
    !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--test")
}

fn print_ratios(data: &str, rows: &[Ratio]) {
    eprintln!();
    eprintln!(
        "portcullis example vs plain axum + diesel on {data}: interleaved runs (medians per request)"
    );
    eprintln!(
        "{:<20} {:>11} {:>11} {:>8} {:>13} {:>6} {:>10} {:>6}  verdict",
        "request", "portcullis", "plain", "p/plain", "p/plain IQR", "target", "p - plain", "rounds"
    );
    if smoke() {
        eprintln!("(not `cargo bench`: one round per run, no verdicts)");
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
            "{:<20} {:>11} {:>11} {:>7.3}x {iqr:>13} {target:>6} {:>10} {:>6}  {verdict}",
            r.label,
            human(r.ns[0]),
            human(r.ns[1]),
            r.ratio,
            human(r.ns[0] - r.ns[1]),
            r.rounds,
        );
    }
}

/// Criterion groups and the ratio table for the pair on `db`.
fn run(c: &mut Criterion, db: impl FnOnce(&Runtime) -> Result<Db, fixture::BoxError>) {
    let setup = Instant::now();
    // Fails loudly, listing every difference, when the twin does not answer like the example.
    let (rt, pair) = Pair::start_blocking(db).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{}: set up in {:.1} s; the twin answers {} requests exactly like the example",
        pair.label,
        setup.elapsed().as_secs_f64(),
        pair.compared.requests
    );
    let auth = fixture::bearer(&pair.token).expect("token header");
    let apps = [Side::Example(&pair.example), Side::Twin(&pair.twin)];
    let cases = cases(&pair);
    let backend = pair.label.split(',').next().unwrap_or("db").to_owned();
    for case in &cases {
        let mut g = c.benchmark_group(format!("{backend}: {}", case.label));
        g.sample_size(50);
        for (name, app) in NAMES.into_iter().zip(apps) {
            g.bench_function(name, |b| b.iter(|| rt.block_on(app.call(&case.uri, &auth))));
        }
        g.finish();
    }
    // `--profile-time N` (criterion's profiling mode): only the filtered variant runs, so a
    // profiler sees nothing else.
    if std::env::args().any(|a| a == "--profile-time") {
        return;
    }
    let ratios: Vec<Ratio> = cases
        .iter()
        .map(|case| interleaved(&rt, apps, case, &auth))
        .collect();
    print_ratios(&pair.label, &ratios);
    eprintln!(
        "(page 80 by cursor: {}; GET /docs/{{id}}: {})",
        cases[1].uri, cases[3].uri
    );
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    run(&mut c, |_| Ok(Db::sqlite("e2e")));
    if fixture::services() {
        run(&mut c, |rt| rt.block_on(Db::postgres("e2e")));
    } else {
        eprintln!(
            "\n(PostgreSQL, 100,000 documents: set PORTCULLIS_TEST_SERVICES=1 to run it against 127.0.0.1:5432)"
        );
    }
    c.final_summary();
}
