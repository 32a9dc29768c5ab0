//! Order statistics and human-readable durations for the reports.

/// The `q` quantile (0 to 1) of `v` by nearest rank; NaN when `v` is empty.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize]
}

/// The median of `v`.
pub fn median(v: &[f64]) -> f64 {
    quantile(v, 0.5)
}

/// Nanoseconds as `812 ns`, `41.20 µs` or `1.234 ms`.
pub fn human(ns: f64) -> String {
    if ns.abs() < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns.abs() < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{:.3} ms", ns / 1_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    // No imports: runtime/benches/guards.rs includes this file in a `harness = false` target,
    // where `#[test]` functions are not built and an import would be unused.
    #[test]
    fn quantiles_by_nearest_rank() {
        use super::{human, median, quantile};
        let v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(median(&v), 3.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 5.0);
        assert_eq!(quantile(&v, 0.99), 5.0);
        assert!(median(&[]).is_nan());
        assert_eq!(human(41_200.0), "41.20 µs");
    }
}
