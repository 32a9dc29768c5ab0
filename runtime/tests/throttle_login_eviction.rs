//! `LoginGuard` eviction: a flood of throwaway failures (distinct account names and IPs) must
//! not wash out a targeted account's count, through either `check` + `record_failure` or
//! `reserve`; when only delayed counts are held, new keys are refused (fail closed).

use portcullis::throttle::{LoginGuard, LoginPolicy};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

fn policy(max_keys: usize) -> LoginPolicy {
    LoginPolicy {
        free_per_account: 3,
        free_per_ip: 1_000,
        base_delay: Duration::from_secs(60),
        max_keys,
        ..LoginPolicy::default()
    }
}

/// A distinct IPv4 address per `i` (10.0.0.0/8).
fn ip(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i & 0x00ff_ffff)))
}

const ATTACKER: &str = "198.51.100.7";

#[test]
fn throwaway_failures_do_not_unlock_a_targeted_account() {
    let g = LoginGuard::new(policy(1_000));
    let attacker: IpAddr = ATTACKER.parse().unwrap();
    for _ in 0..3 {
        g.record_failure("victim", attacker);
    }
    assert!(g.check("victim", ip(1)).is_err(), "victim locked");
    // 5x capacity of throwaway failures, each from a new address for a new name.
    for i in 0..5_000 {
        let who = ip(10 + i);
        let name = format!("throwaway-{i}");
        if g.check(&name, who).is_ok() {
            g.record_failure(&name, who);
        }
    }
    assert!(g.len() <= 1_000, "bounded: held {}", g.len());
    assert!(
        g.check("victim", ip(9_999_999)).is_err(),
        "the targeted account is still delayed after the flood"
    );
}

#[test]
fn reserve_path_keeps_a_targeted_account_locked() {
    let g = LoginGuard::new(policy(1_000));
    let attacker: IpAddr = ATTACKER.parse().unwrap();
    for _ in 0..3 {
        g.reserve("victim", attacker).unwrap().failed();
    }
    assert!(g.reserve("victim", ip(1)).is_err(), "victim locked");
    for i in 0..5_000 {
        if let Ok(a) = g.reserve(&format!("throwaway-{i}"), ip(10 + i)) {
            a.failed();
        }
    }
    assert!(g.len() <= 1_000, "bounded: held {}", g.len());
    assert!(
        g.reserve("victim", ip(9_999_999)).is_err(),
        "the targeted account is still delayed after the flood"
    );
}

#[test]
fn a_guard_full_of_delayed_counts_refuses_new_keys() {
    // Every failure locks both its account and its IP.
    let g = LoginGuard::new(LoginPolicy {
        free_per_account: 1,
        free_per_ip: 1,
        max_keys: 10,
        ..LoginPolicy::default()
    });
    for i in 0..5 {
        g.reserve(&format!("locked-{i}"), ip(i)).unwrap().failed();
    }
    assert_eq!(g.len(), 10);
    // No room without forgetting a delayed count: refused, fail closed, with Retry-After.
    let refused = g.reserve("newcomer", ip(100)).unwrap_err();
    assert_eq!(refused.status(), 429);
    assert!(g.check("newcomer", ip(100)).is_err());
    g.record_failure("newcomer", ip(100));
    assert_eq!(g.len(), 10);
    for i in 0..5 {
        assert!(
            g.check(&format!("locked-{i}"), ip(200 + i)).is_err(),
            "locked-{i} stays delayed"
        );
    }
}

#[test]
fn spare_counts_are_evicted_lowest_first() {
    let g = LoginGuard::new(policy(100));
    let home: IpAddr = "192.0.2.1".parse().unwrap();
    // Two failures (below the 3 free) for a real user, then 1-failure noise.
    g.record_failure("alice", home);
    g.record_failure("alice", home);
    for i in 0..60 {
        g.record_failure(&format!("noise-{i}"), ip(i));
    }
    // One more failure for alice reaches the delay: the 2-count survived the noise.
    g.record_failure("alice", home);
    assert!(g.check("alice", ip(7_777)).is_err());
}
