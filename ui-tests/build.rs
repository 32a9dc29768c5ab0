//! Records which compiler builds the ui tests, so `tests/ui.rs` can name it when it is not the
//! one the `.stderr` files were blessed with.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RUSTC");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| format!("unknown (`{rustc} --version` failed)"));
    println!("cargo:rustc-env=PORTCULLIS_UI_RUSTC={version}");
}
