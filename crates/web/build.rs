//! Brings the pinned front-end packages (see assets/vendor/package.json and its lockfile)
//! into OUT_DIR so they are embedded in the binary. Installs them with `npm ci` when the
//! checkout has no node_modules yet, so `cargo run` works on a fresh machine with Node.

use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: &[(&str, &str)] = &[("htmx.org/dist/htmx.min.js", "htmx.min.js")];

fn main() {
    let vendor = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/vendor");
    let modules = vendor.join("node_modules");
    println!("cargo:rerun-if-changed=assets/vendor/package-lock.json");
    println!("cargo:rerun-if-changed=assets/vendor/node_modules/.package-lock.json");
    let missing = FILES.iter().any(|(src, _)| !modules.join(src).exists());
    if missing {
        let status = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&vendor)
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => panic!(
                "front-end packages are missing and `npm ci` in {} failed ({other:?}); install Node.js and npm",
                vendor.display()
            ),
        }
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
    for (src, dest) in FILES {
        std::fs::copy(modules.join(src), out.join(dest))
            .unwrap_or_else(|e| panic!("copying {src} into the build: {e}"));
    }
}
