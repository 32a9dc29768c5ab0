//! The backend layer: everything that talks to a database. [`db`] is the pool over every
//! backend enabled in the build (and [`db::unscoped`], the raw escape hatch), [`enabled`] the
//! enabled backends as types (`SqlBackend`, which the layers above are generic over), [`sql`] renders
//! conditions into diesel expressions per dialect, [`ops`] runs the queries `#[derive(Resource)]`
//! generates on whichever backend a pool talks to, [`page`] is keyset pagination, and
//! `redis_conn` (feature `redis`) the reconnecting Redis connection. The rule for what belongs
//! here: code that knows a backend exists. Every `cfg(feature = "sqlite" | "postgres")` of the
//! core lives in this folder (the `if_sqlite!`/`if_postgres!` callbacks of generated code too);
//! the other layers stay backend-agnostic. It may import the model layer, nothing above it.

pub mod db;
pub mod enabled;
pub mod ops;
pub mod page;
#[cfg(feature = "redis")]
pub mod redis_conn;
pub mod sql;
