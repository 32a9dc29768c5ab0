// A type that cannot key requests given to `ThrottleLayer::new`.
use portcullis::throttle::{MemoryLimiter, Rate, ThrottleLayer};
use std::num::NonZeroU32;

struct TenantKey;

fn main() {
    let limiter = MemoryLimiter::new(Rate::per_minute(NonZeroU32::MIN));
    let _ = ThrottleLayer::new(limiter, TenantKey);
}
