//! Trial workers: `benchmark --workers` and `apply --workers` queue their trial runs in a
//! PostgreSQL store for `teamtune worker` processes and come to the verdict a local run
//! with the same seeds comes to; a worker killed mid-run loses its lease and every queued
//! run is recorded exactly once all the same.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::{repo_root, stderr, stdout, teamtune, write};

/// A `teamtune worker` child process whose stderr lines arrive on a channel. Killed when
/// dropped, so a failing test leaves no worker behind.
struct Worker {
    child: Option<Child>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Worker {
    fn start(dir: &Path, url: &str, name: &str, slots: u32, lease: &str) -> Worker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_teamtune"))
            .args([
                "worker",
                "--store",
                url,
                "--concurrency",
                &slots.to_string(),
                "--lease",
                lease,
                "--poll",
                "50ms",
                "--name",
                name,
            ])
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut w = Worker {
            child: Some(child),
            lines,
            seen: Vec::new(),
        };
        w.wait_for("waiting for trial runs");
        w
    }

    /// Waits (at most a minute) for a line containing `text`; returns it.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no `{text}` from the worker; it said:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// SIGTERM, then its exit code and everything it said.
    fn stop(mut self) -> (Option<i32>, String) {
        let mut child = self.child.take().unwrap();
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        let mut said = std::mem::take(&mut self.seen);
        said.extend(self.lines.iter());
        (status.code(), said.join("\n"))
    }

    /// SIGKILL: no chance to give anything back.
    fn kill_hard(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn database(test: &str) -> Option<(String, &'static teamtune_test_postgres::Server)> {
    let server = teamtune_test_postgres::server(test)?;
    Some((server.fresh_database(), server))
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "exit {:?}\n{}\n{}",
        o.status.code(),
        stdout(&o),
        stderr(&o)
    );
    o
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The sequential audit example and the same team in parallel.
fn audit_pair(dir: &Path) {
    let text = std::fs::read_to_string(repo_root().join("examples/sequential-audit.yaml")).unwrap();
    write(dir, "before.yaml", &text);
    write(
        dir,
        "after.yaml",
        &text.replace("team_formation: sequential", "team_formation: parallel"),
    );
}

#[test]
fn benchmark_with_workers_comes_to_the_local_verdict_with_the_same_seeds() {
    let Some((url, server)) =
        database("benchmark_with_workers_comes_to_the_local_verdict_with_the_same_seeds")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    audit_pair(d);
    let args = [
        "benchmark",
        "--before",
        "before.yaml",
        "--after",
        "after.yaml",
        "--runs",
        "15",
        "--seed",
        "7",
        "--json",
        "--store",
    ];
    let local = json(&ok(teamtune(d, &[&args[..], &["local.db"]].concat())));
    let workers = [
        Worker::start(d, &url, "w1", 2, "30s"),
        Worker::start(d, &url, "w2", 2, "30s"),
    ];
    let queued = ok(teamtune(
        d,
        &[&args[..], &[url.as_str(), "--workers"]].concat(),
    ));
    assert!(
        stderr(&queued).contains("2 seen, 4 run(s) at once"),
        "{}",
        stderr(&queued)
    );
    assert_eq!(json(&queued), local, "the same figures, to the last digit");
    assert_eq!(local["status"], "passed");

    // Each worker made some of the 30 runs; each run was recorded once, in the store.
    let results = server.psql(
        &url,
        "SELECT worker, count(*) FROM trial_results GROUP BY worker ORDER BY worker",
    );
    let counts: Vec<u32> = results
        .lines()
        .map(|l| l.split('|').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 2, "{results}");
    assert_eq!(counts.iter().sum::<u32>(), 30);
    assert_eq!(
        server.psql(
            &url,
            "SELECT count(DISTINCT run_id) FROM team_runs WHERE variant IS NOT NULL"
        ),
        "30"
    );
    for w in workers {
        let (code, said) = w.stop();
        assert_eq!(code, Some(143), "{said}");
        assert!(said.contains("worker stopped:"), "{said}");
    }
    assert_eq!(
        server.psql(&url, "SELECT count(*) FROM trial_workers"),
        "0",
        "retired"
    );
}

#[test]
fn apply_auto_with_workers_keeps_what_the_local_apply_keeps() {
    let Some((url, _)) = database("apply_auto_with_workers_keeps_what_the_local_apply_keeps")
    else {
        return;
    };
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for d in &dirs {
        audit_pair(d.path());
    }
    let args = [
        "apply",
        "--team-id",
        "audit_team",
        "--config",
        "before.yaml",
        "--auto",
        "--seed",
        "5",
        "--json",
        "--store",
    ];
    let local = json(&ok(teamtune(
        dirs[0].path(),
        &[&args[..], &["s.db"]].concat(),
    )));
    let _workers = [
        Worker::start(dirs[1].path(), &url, "a", 3, "30s"),
        Worker::start(dirs[1].path(), &url, "b", 2, "30s"),
    ];
    let queued = json(&ok(teamtune(
        dirs[1].path(),
        &[&args[..], &[url.as_str(), "--workers"]].concat(),
    )));
    // The sequential test took five pairs at a time and looked at them one by one.
    assert_eq!(queued, local);
    assert!(
        local
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["sequential"].is_object()),
        "{local}"
    );
    assert_eq!(
        std::fs::read_to_string(dirs[0].path().join("before.yaml")).unwrap(),
        std::fs::read_to_string(dirs[1].path().join("before.yaml")).unwrap()
    );
}

#[test]
fn a_worker_killed_mid_run_loses_its_lease_and_every_run_is_recorded_once() {
    let Some((url, server)) =
        database("a_worker_killed_mid_run_loses_its_lease_and_every_run_is_recorded_once")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Real time: each member sleeps, so runs are long enough to be killed in the middle.
    write(
        d,
        "before.yaml",
        "workflows:\n  sleepers:\n    nodes:\n      - id: team\n        type: team\n        \
         team_formation: sequential\n        members:\n          \
         - {id: a, command: [\"sleep\", \"0.4\"]}\n          \
         - {id: b, command: [\"sleep\", \"0.4\"]}\n",
    );
    write(
        d,
        "after.yaml",
        &std::fs::read_to_string(d.join("before.yaml"))
            .unwrap()
            .replace("sequential", "parallel"),
    );
    let mut victim = Worker::start(d, &url, "victim", 1, "2s");
    let others: Vec<Worker> = ["w2", "w3", "w4"]
        .iter()
        .map(|n| Worker::start(d, &url, n, 1, "2s"))
        .collect();
    let coordinator = Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args([
            "benchmark",
            "--before",
            "before.yaml",
            "--after",
            "after.yaml",
            "--runs",
            "8",
            "--json",
            "--workers",
            "--store",
            &url,
        ])
        .current_dir(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let claimed = victim.wait_for(": running team");
    victim.kill_hard();
    let out = coordinator.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["statistics"]["n_a"], 8);
    assert_eq!(report["statistics"]["n_b"], 8);

    // Every queued run has exactly one result, and the killed worker's run was made again.
    let position: String = claimed
        .split(" run ")
        .nth(1)
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        server.psql(
            &url,
            "SELECT count(*), count(*) FILTER (WHERE status = 'done') FROM trial_queue"
        ),
        "16|16"
    );
    assert_eq!(
        server.psql(
            &url,
            "SELECT count(*), count(DISTINCT entry_id) FROM trial_results"
        ),
        "16|16"
    );
    let retried = server.psql(
        &url,
        &format!(
            "SELECT q.attempts > 1, r.worker <> 'victim' FROM trial_queue q \
             JOIN trial_results r ON r.entry_id = q.id WHERE q.position = {position}"
        ),
    );
    assert_eq!(
        retried, "t|t",
        "run {position}: claimed again and made by another worker"
    );
    assert_eq!(
        server.psql(
            &url,
            "SELECT count(*), count(DISTINCT run_id) FROM team_runs"
        ),
        "16|16",
        "the coordinator recorded each run once"
    );
    for w in others {
        let (code, said) = w.stop();
        assert_eq!(code, Some(143), "{said}");
    }
}

#[test]
fn workers_need_a_postgresql_store_and_no_prompts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    audit_pair(d);
    let sqlite = teamtune(
        d,
        &[
            "benchmark",
            "--before",
            "before.yaml",
            "--after",
            "after.yaml",
            "--workers",
            "--store",
            "s.db",
        ],
    );
    assert_eq!(sqlite.status.code(), Some(2), "{}", stderr(&sqlite));
    assert!(
        stderr(&sqlite).contains("workers need a PostgreSQL store")
            && !stderr(&sqlite).contains("warning"),
        "{}",
        stderr(&sqlite)
    );
    assert!(
        stderr(&sqlite).contains("hint: workers share trial runs"),
        "{}",
        stderr(&sqlite)
    );
    let worker = teamtune(d, &["worker", "--store", "s.db"]);
    assert_eq!(worker.status.code(), Some(2), "{}", stderr(&worker));
    assert!(stderr(&worker).contains("a worker needs a PostgreSQL store"));
    assert!(!d.join("s.db").exists(), "nothing was created");

    let Some((url, _)) = database("workers_need_a_postgresql_store_and_no_prompts") else {
        return;
    };
    let prompt = teamtune(
        d,
        &[
            "benchmark",
            "--before",
            "before.yaml",
            "--after",
            "after.yaml",
            "--workers",
            "--hitl",
            "prompt",
            "--store",
            &url,
        ],
    );
    assert_eq!(prompt.status.code(), Some(2), "{}", stderr(&prompt));
    assert!(
        stderr(&prompt).contains("cannot be answered on a worker"),
        "{}",
        stderr(&prompt)
    );
}
