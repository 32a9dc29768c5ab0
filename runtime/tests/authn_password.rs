//! Passwords at the configured (OWASP) cost: burn_verify costs what a wrong-password verify
//! costs.
//!
//! The exact timing ratio is measured by the criterion bench `authn` (`burn_verify` vs
//! `verify_wrong`); this test only guards against gross regressions, such as `burn_verify`
//! skipping argon2, with bounds wide enough for a shared 2-core CI machine.

use portcullis::authn::password::PasswordHasher;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burn_verify_costs_what_verify_costs() {
    let hasher = PasswordHasher::owasp();
    let phc = hasher.hash("the real password").await.unwrap();
    assert!(
        !hasher.needs_rehash(hasher.burn_target()),
        "burn target uses the hasher's parameters"
    );
    // Warm up (page faults of the first 19 MiB allocation).
    hasher.verify("warm-up", &phc).await.unwrap();
    hasher.burn_verify("warm-up").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..11 {
        for known_first in [i % 2 == 0, i % 2 != 0] {
            let t = Instant::now();
            if known_first {
                assert!(!hasher.verify("wrong password", &phc).await.unwrap());
                known.push(t.elapsed());
            } else {
                assert!(!hasher.burn_verify("wrong password").await);
                unknown.push(t.elapsed());
            }
        }
    }
    let (k, u) = (median(known), median(unknown));
    let ratio = u.as_secs_f64() / k.as_secs_f64();
    eprintln!("median verify(wrong) {k:?}, burn_verify {u:?}, ratio {ratio:.3}");
    // Interleaved runs see the same machine load, but on a shared 2-core machine other jobs
    // still move single medians by ±30 %. 0.5..2.0 is therefore a regression guard, not the
    // 10 % target (the bench measures that): it still fails if burn_verify skipped argon2
    // (ratio ≈ 0.001) or ran it twice or at another cost.
    assert!((0.5..2.0).contains(&ratio), "ratio {ratio:.3}");
}
