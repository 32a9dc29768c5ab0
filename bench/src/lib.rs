//! End-to-end benchmarks of the portcullis example (`portcullis-example`) against the same
//! document reads written by hand (`portcullis-plain-twin`): the criterion bench `e2e`, the load
//! generator `load`, and `build-time.sh`. See `bench/README.md`.

pub mod fixture;
pub mod plain;
pub mod stats;
