//! End-to-end benchmarks of the portcullis example (`portcullis-example`) against the same
//! document reads written by hand (`portcullis-plain-twin`): the criterion benches `e2e` and
//! `parts`, the load generator `load`, and `build-time.sh`. See `bench/README.md`.

pub mod data;
pub mod fixture;
pub mod plain;
pub mod stats;
