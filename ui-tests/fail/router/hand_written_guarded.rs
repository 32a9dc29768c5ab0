// `Guarded` implemented by hand instead of with `#[guarded(..)]`.
use portcullis::guard::{BoxFuture, Guard, Guarded};
use portcullis::routing::get;

// A route without a declared guard, written by hand instead of `#[guarded]`.
#[derive(Clone)]
struct Sneaky;

impl<S> Guarded<S, ()> for Sneaky {
    const GUARD: &'static Guard = &Guard {
        handler: "sneaky",
        public: true,
        roles: &[],
        can: None,
        throttle: None,
        conceal: false,
        bind: None,
        binds_path: || false,
        takes_principal: || false,
    };

    fn __call(
        self,
        _parts: axum::http::request::Parts,
        _body: axum::body::Body,
        _state: S,
    ) -> BoxFuture<'static, axum::response::Response> {
        Box::pin(async { axum::response::IntoResponse::into_response("all rows") })
    }
}

fn main() {
    let _ = portcullis::Router::<()>::new().route("/sneaky", get(Sneaky));
}
