//! Authentication benchmarks: JWT verification per algorithm (against HS256 as the baseline),
//! and argon2id at the configured (OWASP) cost: hash, verify with a wrong password, and
//! burn_verify, whose cost must match verify's (the timing defence). After criterion's runs,
//! the exact burn_verify / verify median ratio over interleaved runs is printed.

use criterion::{Criterion, criterion_group};
use portcullis::authn::jwt::JwtService;
use portcullis::authn::password::PasswordHasher;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn jwt_verify(c: &mut Criterion) {
    let keys: [(&str, JwtService); 4] = [
        (
            "HS256 (baseline)",
            JwtService::builder()
                .hmac_secret("k", &[7; 32])
                .build()
                .unwrap(),
        ),
        (
            "EdDSA",
            JwtService::builder()
                .private_key_pem(include_bytes!("../tests/fixtures/authn/ed25519_a.pem"))
                .build()
                .unwrap(),
        ),
        (
            "ES256",
            JwtService::builder()
                .private_key_pem(include_bytes!("../tests/fixtures/authn/ec.pem"))
                .build()
                .unwrap(),
        ),
        (
            "RS256",
            JwtService::builder()
                .private_key_pem(include_bytes!("../tests/fixtures/authn/rsa.pem"))
                .build()
                .unwrap(),
        ),
    ];
    let mut g = c.benchmark_group("jwt_verify");
    for (name, svc) in &keys {
        let token = svc.sign("user-1", ()).unwrap();
        g.bench_function(*name, |b| {
            b.iter(|| svc.verify::<()>(black_box(&token)).unwrap())
        });
    }
    g.finish();
    let svc = &keys[1].1;
    c.bench_function("jwt_sign/EdDSA", |b| {
        b.iter(|| svc.sign(black_box("user-1"), ()).unwrap())
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn argon2(c: &mut Criterion) {
    let rt = runtime();
    let hasher = PasswordHasher::owasp();
    let phc = rt.block_on(hasher.hash("the real password")).unwrap();
    let mut g = c.benchmark_group("argon2id_owasp");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("hash", |b| {
        b.iter(|| rt.block_on(hasher.hash(black_box("pw"))).unwrap())
    });
    g.bench_function("verify_wrong", |b| {
        b.iter(|| {
            rt.block_on(hasher.verify(black_box("wrong"), &phc))
                .unwrap()
        })
    });
    g.bench_function("burn_verify", |b| {
        b.iter(|| rt.block_on(hasher.burn_verify(black_box("wrong"))))
    });
    g.finish();
}

/// burn_verify / verify(wrong) median ratio over interleaved runs (target: within 10 %).
fn timing_ratio() {
    let rt = runtime();
    let hasher = PasswordHasher::owasp();
    let phc = rt.block_on(hasher.hash("the real password")).unwrap();
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    // Alternate which goes first so neither profits from the other's warm caches.
    for i in 0..61 {
        for known_first in [i % 2 == 0, i % 2 != 0] {
            let t = Instant::now();
            if known_first {
                rt.block_on(hasher.verify("wrong", &phc)).unwrap();
                known.push(t.elapsed());
            } else {
                rt.block_on(hasher.burn_verify("wrong"));
                unknown.push(t.elapsed());
            }
        }
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[30], unknown[30]);
    println!(
        "timing defence: median verify(wrong) {k:?}, burn_verify {u:?}, ratio {:.3}",
        u.as_secs_f64() / k.as_secs_f64()
    );
}

criterion_group!(benches, jwt_verify, argon2);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    timing_ratio();
}
