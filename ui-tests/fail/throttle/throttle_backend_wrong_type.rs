// A type that cannot make limiters given to `Router::throttle_backend`.
struct Budgets;

fn main() {
    let _ = portcullis::Router::<()>::new().throttle_backend(Budgets);
}
