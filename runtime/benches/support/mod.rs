//! The paired measurement the core and `in` list benches share: both sides interleaved, the
//! order alternating every round, medians per call.
// Each bench uses part of it.
#![allow(dead_code)]

use portcullis::db::Pool;
use std::path::Path;
use std::time::Instant;

/// A SQLite file at `path` with `schema` and `seed` run on it.
pub fn sqlite_fixture(rt: &tokio::runtime::Runtime, path: &Path, schema: &str, seed: &str) -> Pool {
    rt.block_on(async {
        let pool = Pool::connect(path.to_str().expect("temp path is UTF-8"))
            .await
            .expect("open SQLite");
        let fixture = pool.unscoped("bench fixture");
        fixture.batch_execute(schema).await.expect("schema");
        fixture.batch_execute(seed).await.expect("seed");
        pool
    })
}

/// One line of a ratio table.
pub struct Ratio {
    pub label: String,
    pub ours_ns: f64,
    pub base_ns: f64,
    pub ratio: f64,
    pub target: Option<f64>,
}

/// Times `ours` and `base` interleaved (`rounds` rounds of `batch` calls each, the order
/// alternating every round), so machine load hits both sides alike. Per side: the median over
/// rounds of the time per call; ratio: the median over rounds of the paired ratio.
pub fn paired(
    label: impl Into<String>,
    target: Option<f64>,
    rounds: usize,
    batch: u64,
    mut ours: impl FnMut(),
    mut base: impl FnMut(),
) -> Ratio {
    let time = |f: &mut dyn FnMut(u64)| {
        let start = Instant::now();
        f(batch);
        start.elapsed().as_nanos() as f64 / batch as f64
    };
    // The batch loops are monomorphic, so no indirect call sits inside the timed loop.
    let mut ours = |n: u64| {
        for _ in 0..n {
            ours();
        }
    };
    let mut base = |n: u64| {
        for _ in 0..n {
            base();
        }
    };
    // Warm both sides up once.
    time(&mut ours);
    time(&mut base);
    let (mut o, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = time(&mut ours);
            (x, time(&mut base))
        } else {
            let y = time(&mut base);
            (time(&mut ours), y)
        };
        o.push(x);
        b.push(y);
        r.push(x / y);
    }
    Ratio {
        label: label.into(),
        ours_ns: median(o),
        base_ns: median(b),
        ratio: median(r),
        target,
    }
}

/// The upper median of `v`.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Whether `cargo test --benches` runs the bench (it passes `--test`): one round, as a smoke
/// test.
pub fn smoke() -> bool {
    std::env::args().any(|a| a == "--test")
}

/// Rounds of the paired runs: one under `--test`, else `n`.
pub fn rounds(n: usize) -> usize {
    if smoke() { 1 } else { n }
}

/// Nanoseconds as `3.21 ns`, `41.20 µs` or `1.234 ms`.
pub fn human(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.2} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{:.3} ms", ns / 1_000_000.0)
    }
}
