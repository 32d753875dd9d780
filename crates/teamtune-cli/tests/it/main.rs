//! Integration tests: drive the real `teamtune` binary.

mod bad_stores;
mod command_members;
mod contract;
mod experiments;
mod faults;
mod formations;
mod history_recovery;
mod loader_limits;
mod openai_endpoint;
mod otel;
mod postgres_store;
mod prompt;
mod report;
mod run;
mod small_contracts;
mod store;
mod suggestion_checks;
mod tuning;
mod twin;
mod validate;
mod workers;

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

/// `teamtune` run as a user who may not write what root's tests created: as root (where
/// permission bits do not bind) through `setpriv` as `nobody`, else as the user running the
/// tests.
pub fn teamtune_unprivileged(dir: &Path, args: &[&str]) -> Output {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_teamtune"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_teamtune"))
    };
    cmd.args(args)
        .current_dir(dir)
        .env_remove("TEAMTUNE_STORE")
        .env("NO_COLOR", "1")
        .output()
        .expect("the teamtune binary runs (as root: setpriv from util-linux is needed)")
}

/// Sets a file's or directory's permission bits.
pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
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
