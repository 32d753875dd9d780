//! `teamtune-bench workers`: how much faster an A/B test goes with trial workers. Both sides
//! of a `benchmark` are teams of command members that sleep (real time): the baseline runs
//! its two members one after the other, the candidate both at once. The test runs here
//! without workers, then with 1, 2, 4, ... `teamtune worker` processes (one run at a time
//! each) on the PostgreSQL store given, and the wall time of each is printed with the
//! verdict, which must not depend on who made the runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Args;
use teamtune::{Autotuner, HitlPolicy, StoreLocation};

use crate::error::BenchError;

#[derive(Debug, Args)]
pub struct WorkersArgs {
    /// The PostgreSQL store the workers share: postgres://USER@HOST:PORT/DB.
    #[arg(long)]
    pub store: String,
    /// Runs per side of the A/B test.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..))]
    pub runs: u64,
    /// Seconds each member sleeps.
    #[arg(long, default_value_t = 0.5)]
    pub sleep: f64,
    /// The worker counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    pub workers: Vec<usize>,
    /// The `teamtune` binary the workers run (default: beside this one).
    #[arg(long)]
    pub teamtune: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// The worker processes of one measurement; stopped (SIGTERM) when dropped.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        for child in &mut self.0 {
            let _ = child.wait();
        }
    }
}

fn start_workers(
    teamtune: &Path,
    store: &str,
    count: usize,
    dir: &Path,
) -> Result<Workers, BenchError> {
    let mut workers = Workers(Vec::new());
    for i in 0..count {
        let child = Command::new(teamtune)
            .args(["worker", "--store", store, "--poll", "50ms", "--name"])
            .arg(format!("bench-{i}"))
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| BenchError::Input(format!("{}: {e}", teamtune.display())))?;
        workers.0.push(child);
    }
    Ok(workers)
}

pub fn run(args: &WorkersArgs) -> Result<(), BenchError> {
    let location =
        StoreLocation::parse(args.store.as_ref()).map_err(|e| BenchError::Input(e.to_string()))?;
    if location.postgres().is_none() {
        return Err(BenchError::Input(
            "--store must be a postgres:// URL".into(),
        ));
    }
    let teamtune = match &args.teamtune {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .map_err(|e| BenchError::Work(e.to_string()))?
            .with_file_name("teamtune"),
    };
    let dir = tempfile::tempdir().map_err(|e| BenchError::Work(e.to_string()))?;
    let member = |id: &str| format!("{{id: {id}, command: [\"sleep\", \"{}\"]}}", args.sleep);
    let file = |formation: &str| {
        format!(
            "workflows:\n  sleepers:\n    nodes:\n      - id: team\n        type: team\n        \
             team_formation: {formation}\n        members:\n          - {}\n          - {}\n",
            member("a"),
            member("b")
        )
    };
    let (before, after) = (
        dir.path().join("before.yaml"),
        dir.path().join("after.yaml"),
    );
    let write = |p: &Path, text: String| {
        std::fs::write(p, text).map_err(|e| BenchError::Work(format!("{}: {e}", p.display())))
    };
    write(&before, file("sequential"))?;
    write(&after, file("parallel"))?;

    let trials = args.runs * 2;
    println!(
        "A/B test of {} runs per side ({trials} trial runs; baseline ~{:.1}s, candidate ~{:.1}s each, real time)",
        args.runs,
        2.0 * args.sleep,
        args.sleep
    );
    println!(
        "{:<12} {:>8} {:>12} {:>10}  verdict",
        "setup", "wall s", "runs/minute", "speedup"
    );
    let mut local_secs = None;
    for count in std::iter::once(0).chain(args.workers.iter().copied()) {
        let _workers = if count > 0 {
            let w = start_workers(&teamtune, &args.store, count, dir.path())?;
            wait_for_workers(&location, count)?;
            Some(w)
        } else {
            None
        };
        let tuner = Autotuner::at(location.clone()).with_workers(count > 0);
        let start = Instant::now();
        let report = tuner.benchmark(
            &before,
            &after,
            None,
            args.runs,
            args.seed,
            HitlPolicy::Approve,
            &mut |_, _| {},
        )?;
        let secs = start.elapsed().as_secs_f64();
        let speedup = local_secs.map_or(1.0, |l: f64| l / secs);
        local_secs.get_or_insert(secs);
        let setup = if count == 0 {
            "here".to_string()
        } else {
            format!("{count} worker{}", if count == 1 { "" } else { "s" })
        };
        println!(
            "{setup:<12} {secs:>8.2} {:>12.1} {speedup:>9.2}x  {} ({:+.1}%)",
            trials as f64 / secs * 60.0,
            report.decision.status.as_str(),
            report.decision.improvement_percentage
        );
    }
    Ok(())
}

/// Waits until `count` workers have said they are alive.
fn wait_for_workers(location: &StoreLocation, count: usize) -> Result<(), BenchError> {
    let tuner = Autotuner::at(location.clone());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = tuner.trial_workers(Duration::from_secs(5))?;
        if seen.len() >= count {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(BenchError::Work(format!(
                "only {} of {count} workers started within 30 s",
                seen.len()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
