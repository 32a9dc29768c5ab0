//! The hand-written twin (crate `portcullis-plain-twin`, its own package so its build can be
//! timed alone), set up for benchmarks.

use crate::fixture::{BoxError, DbSpec};
use portcullis::db::PoolConfig;
pub use portcullis_plain_twin::{Config, Error};

/// The twin's settings on the example's database `db`, verifying with the example's
/// `jwks_json`, with the benchmarks' per-user limit (the same as the example's route limits
/// get in [`fixture::example`](crate::fixture::example)) and the example's pool size (its
/// `PoolConfig::from_env` for the backend). The twin's SQLite pragmas are the example's
/// defaults (checked by `tests/twin.rs`), so the other `PORTCULLIS_DB__*` variables, which
/// would change only the example's, are refused.
pub fn config(db: &DbSpec, jwks_json: &str) -> Result<Config, BoxError> {
    for var in PoolConfig::ENV_VARS {
        let set = std::env::var(var).is_ok_and(|v| !v.trim().is_empty());
        if set && var != PoolConfig::ENV_MAX_SIZE {
            return Err(format!(
                "{var} is set: it would change the example's SQLite settings and not the twin's; \
                 unset it for benchmarks"
            )
            .into());
        }
    }
    let mut config = Config::new(
        db.url.as_str(),
        jwks_json,
        portcullis_example::TOKEN_ISSUER,
        portcullis_example::TOKEN_AUDIENCE,
    );
    config.schema = db.schema.clone();
    config.per_user_per_minute = crate::fixture::BENCH_PER_MINUTE;
    config.pool_size = PoolConfig::from_env(&db.url)?.effective_max_size(db.backend());
    Ok(config)
}

/// The twin serving [`config`].
pub async fn twin(db: &DbSpec, jwks_json: &str) -> Result<axum::Router, BoxError> {
    Ok(portcullis_plain_twin::app(config(db, jwks_json)?).await?)
}
