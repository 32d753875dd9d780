//! Integration tests: drive the real `teamtune` binary.

mod command_members;
mod contract;
mod formations;
mod openai_endpoint;
mod otel;
mod prompt;
mod report;
mod run;
mod small_contracts;
mod store;
mod tuning;
mod twin;
mod validate;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn teamtune(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args(args)
        .current_dir(dir)
        .env_remove("TEAMTUNE_STORE")
        // Runs without --seed are the same in every test run (the tests of the drawn seed
        // remove it).
        .env("TEAMTUNE_SEED", "0")
        .env("NO_COLOR", "1")
        .output()
        .expect("the teamtune binary runs")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Parses `--json` output: one object per line.
pub fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}
