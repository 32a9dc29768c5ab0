// A type that is not a rate limiter given to `ThrottleLayer::new`.
use portcullis::throttle::ThrottleLayer;
use portcullis::throttle::key::ClientIp;

struct Budget;

fn main() {
    let _ = ThrottleLayer::new(Budget, ClientIp::default());
}
