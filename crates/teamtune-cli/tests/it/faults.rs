//! Faults through the binary: `apply` killed with SIGKILL at seeded random moments leaves the
//! workflow file old or new with a history that says which, and a full disk (a file size
//! limit on the child) gives a clear error, an intact store, and every run reported as
//! recorded in it. (The library's tests inject failures between the write steps; these kill
//! the real process.)

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{repo_root, stderr, stdout, teamtune};

const GO: &str = r#"[{"id": "go", "type": "formation_selection", "priority": "high",
  "description": "one after another", "current_config": {"team_formation": "parallel"},
  "suggested_config": {"team_formation": "sequential"}, "expected_improvement": 10,
  "confidence": 0.9, "risk_level": 0.1, "metadata": {}}]"#;
const BACK: &str = r#"[{"id": "back", "type": "formation_selection", "priority": "high",
  "description": "all at once", "current_config": {"team_formation": "sequential"},
  "suggested_config": {"team_formation": "parallel"}, "expected_improvement": 10,
  "confidence": 0.9, "risk_level": 0.1, "metadata": {}}]"#;

/// splitmix64: the seeded delays, without a dependency.
struct Delays(u64);

impl Delays {
    fn next(&mut self, below: Duration) -> Duration {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        below.mul_f64((z >> 11) as f64 / (1u64 << 53) as f64)
    }
}

fn apply_command(dir: &Path, suggestion: &str, ab_test: bool) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_teamtune"));
    c.args([
        "apply",
        "--team-id",
        "review_team",
        "--config",
        "code-review.yaml",
        "--store",
        "s.db",
        "--suggestion",
        suggestion,
        "--runs",
        "3",
        "--threshold",
        "0",
    ]);
    if !ab_test {
        c.arg("--no-ab-test");
    }
    c.current_dir(dir)
        .env_remove("TEAMTUNE_STORE")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn history(dir: &Path) -> Vec<Value> {
    let out = teamtune(
        dir,
        &[
            "history",
            "--team-id",
            "review_team",
            "--store",
            "s.db",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn integrity(store: &Path) -> String {
    let conn = rusqlite::Connection::open(store).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

fn setup(dir: &Path) -> String {
    let parallel = std::fs::read_to_string(repo_root().join("examples/code-review.yaml")).unwrap();
    std::fs::write(dir.join("code-review.yaml"), &parallel).unwrap();
    std::fs::write(dir.join("go.json"), GO).unwrap();
    std::fs::write(dir.join("back.json"), BACK).unwrap();
    let out = teamtune(
        dir,
        &["run", "code-review.yaml", "--runs", "10", "--store", "s.db"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    parallel
}

#[test]
fn apply_killed_at_random_moments_leaves_the_old_or_the_new_file_and_a_matching_history() {
    let seed = std::env::var("TEAMTUNE_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_26_11_29);
    let rounds: usize = std::env::var("TEAMTUNE_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let parallel = setup(d);
    // One apply to completion gives the other text and how long an apply takes.
    let started = Instant::now();
    let status = apply_command(d, "go.json", false).status().unwrap();
    let full = started.elapsed();
    assert!(status.success());
    let sequential = std::fs::read_to_string(d.join("code-review.yaml")).unwrap();
    assert_ne!(sequential, parallel);

    let mut delays = Delays(seed);
    let mut killed = 0;
    for round in 0..rounds {
        let before = std::fs::read_to_string(d.join("code-review.yaml")).unwrap();
        let (suggestion, after) = if before == parallel {
            ("go.json", &sequential)
        } else {
            ("back.json", &parallel)
        };
        let entries = history(d).len();
        // Every other round runs the A/B test first: kills then land in the trial runs too.
        let ab_test = round % 2 == 1;
        let window = if ab_test { full * 6 } else { full.mul_f64(1.2) };
        let delay = delays.next(window);
        let mut child = apply_command(d, suggestion, ab_test).spawn().unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();

        let now = std::fs::read_to_string(d.join("code-review.yaml")).unwrap();
        let context = format!("round {round} (seed {seed}, kill after {delay:?})");
        assert!(
            now == before || now == *after,
            "{context}: a mixed file:\n{now}"
        );
        let listed = history(d);
        match listed.len() - entries {
            0 => assert_eq!(now, before, "{context}: written without a history entry"),
            1 => {
                let last = &listed[listed.len() - 1];
                let want = if now == *after { "kept" } else { "abandoned" };
                assert_eq!(last["status"], want, "{context}: {last:#}");
            }
            n => panic!("{context}: {n} entries for one apply"),
        }
    }
    assert!(
        killed >= rounds / 4,
        "only {killed} of {rounds} applies were killed"
    );

    // The next apply clears what killed ones left behind, and the history still rolls back.
    let before = std::fs::read_to_string(d.join("code-review.yaml")).unwrap();
    let suggestion = if before == parallel {
        "go.json"
    } else {
        "back.json"
    };
    assert!(
        apply_command(d, suggestion, false)
            .status()
            .unwrap()
            .success()
    );
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".teamtune-") && n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(integrity(&d.join("s.db")), "ok");
    let out = teamtune(
        d,
        &[
            "rollback",
            "--team-id",
            "review_team",
            "--store",
            "s.db",
            "--index",
            "0",
        ],
    );
    let now = std::fs::read_to_string(d.join("code-review.yaml")).unwrap();
    assert_eq!(now, parallel, "{}", stderr(&out));
}

/// `teamtune ARGS` with writes beyond `limit` bytes per file failing (RLIMIT_FSIZE), as on a
/// full disk. SIGXFSZ is ignored so the write fails with EFBIG instead of killing the
/// process, as a full disk fails with ENOSPC.
fn with_file_size_limit(dir: &Path, limit: u64, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(r#"trap '' XFSZ; limit=$1; shift; exec prlimit --fsize="$limit" -- "$@""#)
        .arg("sh")
        .arg(limit.to_string())
        .arg(env!("CARGO_BIN_EXE_teamtune"))
        .args(args)
        .current_dir(dir)
        .env_remove("TEAMTUNE_STORE")
        .env("NO_COLOR", "1")
        .output()
        .expect("sh and prlimit (util-linux) run")
}

#[test]
fn a_full_disk_is_a_clear_error_and_every_run_reported_recorded_is_stored() {
    let review = repo_root().join("examples/code-review.yaml");
    let review = review.to_str().unwrap();
    // 3 MB holds the first batch of 500 runs but not the second.
    for (limit, runs) in [(30_000, 50), (3_000_000, 1500)] {
        let dir = tempfile::tempdir().unwrap();
        let out = with_file_size_limit(
            dir.path(),
            limit,
            &[
                "run",
                review,
                "--runs",
                &runs.to_string(),
                "--store",
                "t.db",
            ],
        );
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(out.status.code(), Some(1), "limit {limit}: {err}");
        assert!(
            err.contains("t.db: ")
                && err.contains("is the disk full or a file size limit reached?"),
            "{err}"
        );
        let recorded: u64 = err
            .split(" run(s) had been recorded before it")
            .next()
            .and_then(|head| head.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if recorded > 0 {
            assert_eq!(integrity(&dir.path().join("t.db")), "ok");
            let export = teamtune(
                dir.path(),
                &[
                    "metrics",
                    "export",
                    "--team-id",
                    "review_team",
                    "--store",
                    "t.db",
                    "--format",
                    "jsonl",
                ],
            );
            assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
            assert_eq!(stdout(&export).lines().count() as u64, recorded, "{err}");
        }
        if limit > 1_000_000 {
            assert_eq!(recorded, 500, "{err}");
        }
    }

    // apply: the history entry, the file or the final status cannot be written. The file
    // is padded so that its history entry (the whole file twice) meets the limits.
    let mut outcomes = Vec::new();
    for limit in [34_000, 60_000, 120_000] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut parallel = setup(d);
        for i in 0..400 {
            parallel.push_str(&format!(
                "# padding {i}: the history keeps the whole file twice\n"
            ));
        }
        std::fs::write(d.join("code-review.yaml"), &parallel).unwrap();
        let out = with_file_size_limit(
            d,
            limit,
            &[
                "apply",
                "--team-id",
                "review_team",
                "--config",
                "code-review.yaml",
                "--store",
                "s.db",
                "--suggestion",
                "go.json",
                "--no-ab-test",
            ],
        );
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "limit {limit}: {err}"
        );
        if out.status.code() != Some(0) {
            assert!(
                err.contains("is the disk full or a file size limit reached?"),
                "{err}"
            );
        }
        let now = std::fs::read_to_string(d.join("code-review.yaml")).unwrap();
        let kept: Vec<Value> = history(d)
            .into_iter()
            .filter(|e| e["status"] == "kept")
            .collect();
        if now == parallel {
            assert!(kept.is_empty(), "limit {limit}: {kept:#?}");
        } else {
            assert_eq!(kept.len(), 1, "limit {limit}: a written file has its entry");
            assert!(now.contains("team_formation: sequential"));
        }
        assert_eq!(integrity(&d.join("s.db")), "ok");
        outcomes.push(now == parallel);
    }
    assert!(
        outcomes.contains(&true) && outcomes.contains(&false),
        "the limits stop the apply before and after the file is written: {outcomes:?}"
    );
}
