//! The hand-written twin answers exactly like the example (the premise of every benchmark in
//! this crate): same status, content type, challenge and body for pages, bad paging, single
//! documents in and out of the caller's tenant, archived ones, and missing or forged tokens.

use portcullis_bench::fixture::{COMPARED, Pair};

#[test]
fn twin_answers_like_the_example() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    // `Pair::start` compares both apps and fails with every difference listed.
    let pair = rt
        .block_on(Pair::start("twin_test"))
        .unwrap_or_else(|e| panic!("{e}"));
    // Twice: the twin with its own `WHERE`, and with the example's policy SQL.
    assert_eq!(pair.compared, 2 * (COMPARED.len() + 2));
}
