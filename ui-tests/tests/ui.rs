//! Compile-time promises, pinned: `pass/*/*.rs` must compile, `fail/*/*.rs` must fail with
//! exactly the `.stderr` beside them. Re-bless deliberately with `TRYBUILD=overwrite` and read
//! every diff. Folders and the list of error sites: `ui-tests/README.md`.
//!
//! Diagnostics change between compilers, so the `.stderr` files hold for one: rustc 1.95 stable.
//! On any other compiler this test fails and says how to run it; set `PORTCULLIS_UI_SKIP` to a
//! reason to skip it knowingly instead.

/// The compiler the `.stderr` files are blessed with.
const BLESSED: &str = "1.95.0";
/// The compiler building this test (`rustc --version`, recorded by `build.rs`).
const FOUND: &str = env!("PORTCULLIS_UI_RUSTC");

/// Whether this is the blessed compiler (any 1.95.x stable release).
#[rustversion::stable(1.95)]
fn on_blessed_compiler() -> bool {
    true
}
#[rustversion::not(stable(1.95))]
fn on_blessed_compiler() -> bool {
    false
}

#[test]
fn ui() {
    use std::io::Write as _;

    if let Some(reason) = std::env::var_os("PORTCULLIS_UI_SKIP") {
        let reason = reason.to_string_lossy();
        assert!(
            !reason.trim().is_empty(),
            "PORTCULLIS_UI_SKIP is set but empty: give the reason for skipping the ui tests, \
             e.g. PORTCULLIS_UI_SKIP=\"no rustc {BLESSED} offline\""
        );
        // Straight to the process's stderr: libtest captures `eprintln!` of passing tests, and
        // a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "ui tests SKIPPED (PORTCULLIS_UI_SKIP): {reason}; compiler here: {FOUND}, .stderr files blessed with rustc {BLESSED}"
        );
        return;
    }
    assert!(
        on_blessed_compiler(),
        "\nui tests need rustc {BLESSED}: their .stderr files are blessed with it and other \
         compilers word diagnostics differently.\n  found:    {FOUND}\n  expected: rustc {BLESSED} \
         (stable)\n  run:      rustup run {BLESSED} cargo test -p portcullis-ui-tests\n  \
         (install it with `rustup toolchain install {BLESSED}`), or skip knowingly with \
         PORTCULLIS_UI_SKIP=\"<reason>\" cargo test ...\n"
    );
    let t = trybuild::TestCases::new();
    t.pass("pass/*/*.rs");
    t.compile_fail("fail/*/*.rs");
}
