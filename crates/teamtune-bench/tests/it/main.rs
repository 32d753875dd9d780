//! Integration tests: drive the real `teamtune-bench` binary on tiny grids.

mod bad_input;
mod generate;
mod tuning;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_teamtune-bench"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the teamtune-bench binary runs")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}
