//! The hand-written twin answers exactly like the example (the premise of every benchmark in
//! this crate): same status, content type, challenge and body for pages, bad paging, single
//! documents in and out of the caller's tenant, archived ones, and missing or forged tokens.

use portcullis_bench::fixture::{COMPARED, Pair};

#[test]
fn twin_answers_like_the_example() {
    // `Pair::start` compares each twin with the example and fails with every difference listed.
    let (_rt, pair) = Pair::start_blocking("twin_test").unwrap_or_else(|e| panic!("{e}"));
    // Twice: the twin with its own `WHERE`, and with the example's policy SQL.
    assert_eq!(pair.compared, 2 * (COMPARED.len() + 2));
}
