//! Throttle costs: one in-memory check (hot key, and a stream of distinct keys against a
//! bounded store) and one Redis round trip (skipped with a message when Redis at
//! 127.0.0.1:6379 is unreachable).

use criterion::{Criterion, criterion_group, criterion_main};
use portcullis::throttle::MemoryLimiter;
use std::hint::black_box;

fn memory(c: &mut Criterion) {
    let hot = MemoryLimiter::new("1000000/s".parse().unwrap());
    c.bench_function("memory_check_hot_key", |b| {
        b.iter(|| black_box(hot.check_now(black_box("ip:192.0.2.1"))))
    });
    let bounded = MemoryLimiter::with_max_keys("10/s".parse().unwrap(), 10_000);
    let keys: Vec<String> = (0..1_000_000).map(|i| format!("ip:{i}")).collect();
    let mut i = 0;
    c.bench_function("memory_check_distinct_keys_bounded_10k", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(bounded.check_now(&keys[i]))
        })
    });
    println!(
        "bounded store after 1M distinct keys: {} keys held",
        bounded.len()
    );
}

#[cfg(feature = "redis")]
fn redis(c: &mut Criterion) {
    use portcullis::throttle::{Limiter, RedisLimiterBuilder};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let Ok(builder) = RedisLimiterBuilder::new("redis://127.0.0.1:6379") else {
        println!("redis bench skipped: bad url");
        return;
    };
    let limiter = builder
        .prefix("portcullis-bench:")
        .build("1000000/s".parse().unwrap());
    if rt.block_on(limiter.check("probe")).is_err() {
        println!("redis bench skipped: Redis at 127.0.0.1:6379 unreachable");
        return;
    }
    c.bench_function("redis_check_round_trip", |b| {
        b.iter(|| black_box(rt.block_on(limiter.check("ip:192.0.2.1"))))
    });
}

#[cfg(not(feature = "redis"))]
fn redis(_: &mut Criterion) {
    println!("redis bench skipped: build with --features redis");
}

criterion_group!(benches, memory, redis);
criterion_main!(benches);
