//! The README's "Use it in your own crate" shows `minimal/Cargo.toml` and
//! `minimal/src/main.rs` verbatim; `.ci/run` builds and tests that crate from an empty
//! directory. This test keeps the two copies equal.

fn read(path: &str) -> String {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {full}: {e}"))
}

fn assert_block(readme: &str, fence: &str, path: &str) {
    let block = format!("```{fence}\n{}```\n", read(path));
    assert!(
        readme.contains(&block),
        "README.md has no ```{fence} block equal to {path}: copy the file into the README's \
         \"Use it in your own crate\" section"
    );
}

#[test]
fn readme_shows_the_minimal_crate_verbatim() {
    let readme = read("README.md");
    assert_block(&readme, "toml", "minimal/Cargo.toml");
    assert_block(&readme, "rust,no_run", "minimal/src/main.rs");
}
