//! The hand-written twin (crate `portcullis-plain-twin`, its own package so its build can be
//! timed alone), set up for benchmarks.

pub use portcullis_plain_twin::{Config, Error};

/// The twin on the example's SQLite file `db`, verifying with the example's `jwks_json`, with
/// the benchmarks' per-user limit (the same as the example's route limits get in
/// [`fixture::example`](crate::fixture::example)). With `policy_where`, `GET /docs` filters
/// with the SQL the example's policy compiles to instead of `tenant_id = ?`.
pub async fn twin(db: &str, jwks_json: &str, policy_where: bool) -> Result<axum::Router, Error> {
    let mut config = Config::new(
        db,
        jwks_json,
        portcullis_example::TOKEN_ISSUER,
        portcullis_example::TOKEN_AUDIENCE,
    );
    config.per_user_per_minute = crate::fixture::BENCH_PER_MINUTE;
    config.policy_where = policy_where;
    portcullis_plain_twin::app(config).await
}
