//! Login answers do not tell an unknown account from a wrong password: same status, same
//! body, and the same time (the unknown account pays the same argon2 work through
//! `burn_verify`). A binary of its own, so no other test shares the CPU while it measures.

mod example_app;

use example_app::{backends, request};
use portcullis_example::{DEMO_PASSWORD, store};
use std::time::{Duration, Instant};

/// Pairs of (unknown account, wrong password) attempts measured.
const PAIRS: usize = 40;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
async fn login_failures_are_indistinguishable_in_body_and_timing() {
    for t in backends("timing").await {
        // One existing account per wrong-password attempt, so the per-account login defence
        // (5 free failures) never delays a measured request; likewise one IP per attempt.
        let hash = t.state.hasher.hash(DEMO_PASSWORD).await.expect("argon2");
        for i in 0..PAIRS {
            let email = format!("timing{i}@acme.test");
            store::insert_user(&t.example_pool, 1, &email, &hash, "member")
                .await
                .unwrap();
        }
        let mut ip = 0u16;
        let mut attempt = |email: String| {
            ip += 1;
            let body = format!(r#"{{"email":"{email}","password":"not the password"}}"#);
            let app = t.app.clone();
            let addr = [198, 19, (ip >> 8) as u8, ip as u8];
            async move {
                let started = Instant::now();
                let res = request(app, "POST", "/auth/login", None, Some(&body), addr, &[]).await;
                (res, started.elapsed())
            }
        };
        // Warm-up: the first argon2 runs allocate their memory blocks.
        for i in 0..2 {
            attempt(format!("warm{i}@acme.test")).await;
        }
        let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
        let mut bodies = std::collections::BTreeSet::new();
        for i in 0..PAIRS {
            // Alternate the order so drift in machine load hits both sides alike.
            let (unknown_email, wrong_email) = (
                format!("nobody{i}@acme.test"),
                format!("timing{i}@acme.test"),
            );
            let (u, w) = if i % 2 == 0 {
                let u = attempt(unknown_email).await;
                (u, attempt(wrong_email).await)
            } else {
                let w = attempt(wrong_email).await;
                (attempt(unknown_email).await, w)
            };
            for (res, _) in [&u, &w] {
                assert_eq!(res.status, 401, "{}: {}", t.backend, res.body);
                bodies.insert(res.body.clone());
            }
            unknown.push(u.1);
            wrong.push(w.1);
        }
        assert_eq!(bodies.len(), 1, "{}: bodies differ: {bodies:#?}", t.backend);
        // The statistic: the median over blocks of two pairs (U W, then W U) of
        // sum(unknown) / sum(wrong). A block runs back to back, so load on the machine (which
        // moves the medians of either side by ±15 % on a busy 2-core box) cancels within it;
        // and each side takes the first and the second slot once per block, so an effect of the
        // position (seen on PostgreSQL: the first request of a pair ~30 % slower) cancels too.
        let mut ratios: Vec<f64> = unknown
            .chunks(2)
            .zip(wrong.chunks(2))
            .map(|(u, w)| {
                u.iter().sum::<Duration>().as_secs_f64() / w.iter().sum::<Duration>().as_secs_f64()
            })
            .collect();
        ratios.sort_by(f64::total_cmp);
        let ratio = ratios[ratios.len() / 2];
        let (mu, mw) = (median(unknown), median(wrong));
        eprintln!(
            "{}: login failure median: unknown account {mu:?}, wrong password {mw:?}; \
             median block ratio {ratio:.3}",
            t.backend
        );
        assert!(
            (0.9..=1.1).contains(&ratio),
            "{}: an unknown account answers {ratio:.3}x as fast as a wrong password \
             (medians {mu:?} vs {mw:?}); more than 10% apart",
            t.backend
        );
        t.finish().await;
    }
}
