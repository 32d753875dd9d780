//! [`TrialJob`]: what a queue entry holds, and how a worker makes its run. The job carries
//! the whole workflow file as the coordinator read it (so a worker needs no copy of it, and
//! edits made meanwhile do not change the test), the team, its configuration for this
//! trial, the seed, the A/B side, and how HITL gates are answered and with which inputs.

use std::collections::HashMap;
use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use teamtune_engine::HitlPolicy;
use teamtune_model::{TeamConfig, Variant, WorkflowRunRecord, load_str};

use crate::error::Error;
use crate::trial::{TrialRunner, WorkflowRunner};

/// The job format this build writes and reads.
const FORMAT: u32 = 1;

/// Runners a worker keeps, one per workflow text it was sent.
const CACHED_RUNNERS: usize = 8;

/// A workflow file as a coordinator read it: the text and the name runs record it under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JobSource {
    pub file: String,
    pub text: String,
}

/// One queued trial run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TrialJob {
    /// Which job format: a worker refuses one it does not know.
    pub format: u32,
    pub source: JobSource,
    pub team_id: String,
    pub config: TeamConfig,
    pub seed: u64,
    pub variant: Option<Variant>,
    pub hitl: HitlPolicy,
    pub inputs: IndexMap<String, Json>,
}

impl TrialJob {
    pub fn new(
        source: &JobSource,
        team_id: &str,
        config: &TeamConfig,
        seed: u64,
        variant: Option<Variant>,
        hitl: HitlPolicy,
        inputs: &IndexMap<String, Json>,
    ) -> TrialJob {
        TrialJob {
            format: FORMAT,
            source: source.clone(),
            team_id: team_id.to_string(),
            config: config.clone(),
            seed,
            variant,
            hitl,
            inputs: inputs.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        // Strings, numbers and maps of them: always serialisable.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The job of a queue entry; the error says why a worker cannot make it.
    pub fn parse(text: &str) -> Result<TrialJob, String> {
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        let format: Format =
            serde_json::from_str(text).map_err(|e| format!("not a trial job: {e}"))?;
        if format.format != FORMAT {
            return Err(format!(
                "job format {} is not this teamtune's ({FORMAT}): run workers of the coordinator's version",
                format.format
            ));
        }
        serde_json::from_str(text).map_err(|e| format!("not a trial job: {e}"))
    }
}

/// A worker's runners, by workflow text, HITL policy and inputs, so the engines built for
/// a test's configurations are built once.
#[derive(Default)]
pub(crate) struct JobRunners {
    runners: HashMap<String, WorkflowRunner>,
}

impl JobRunners {
    /// Makes the job's run.
    pub fn run(&mut self, job: &TrialJob) -> Result<WorkflowRunRecord, Error> {
        let inputs = serde_json::to_string(&job.inputs).unwrap_or_default();
        let key = format!(
            "{}\u{0}{:?}\u{0}{inputs}\u{0}{}",
            job.source.file, job.hitl, job.source.text
        );
        if !self.runners.contains_key(&key) && self.runners.len() >= CACHED_RUNNERS {
            self.runners.clear();
        }
        let runner = match self.runners.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let file = load_str(Path::new(&job.source.file), &job.source.text)?;
                let workflow = file.resolve_team(&job.team_id)?.0.clone();
                v.insert(WorkflowRunner::new(
                    workflow,
                    job.source.file.clone(),
                    job.hitl,
                    job.inputs.clone(),
                )?)
            }
        };
        let mut records = runner.run(&job.team_id, &job.config, &[job.seed], job.variant)?;
        records.pop().ok_or_else(|| Error::Config {
            team_id: job.team_id.clone(),
            message: "the run made no record".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "workflows:\n  w:\n    nodes:\n      - id: t\n        type: team\n        team_formation: parallel\n        sim: {work_calls: 3, think_s: 1, failure_rate: 0}\n        members: [{id: a}, {id: b}]\n";

    fn job() -> TrialJob {
        let file = load_str(Path::new("team.yaml"), TEXT).unwrap();
        let mut config = TeamConfig::of(file.resolve_team("t").unwrap().1);
        config.team_formation = teamtune_model::Formation::Sequential;
        TrialJob::new(
            &JobSource {
                file: "team.yaml".into(),
                text: TEXT.into(),
            },
            "t",
            &config,
            42,
            Some(Variant::Candidate),
            HitlPolicy::Approve,
            &IndexMap::new(),
        )
    }

    #[test]
    fn a_job_round_trips_and_a_worker_makes_the_coordinators_run() {
        let job = job();
        let parsed = TrialJob::parse(&job.to_json()).unwrap();
        assert_eq!(parsed, job);
        let mut runners = JobRunners::default();
        let record = runners.run(&parsed).unwrap();
        assert_eq!(record.seed, 42);
        assert_eq!(record.variant, Some(Variant::Candidate));
        assert_eq!(record.team_runs[0].formation, "sequential");
        // The same run made here, as the coordinator would make it.
        let file = load_str(Path::new("team.yaml"), &job.source.text).unwrap();
        let mut local = WorkflowRunner::new(
            file.resolve_team("t").unwrap().0.clone(),
            "team.yaml",
            HitlPolicy::Approve,
            IndexMap::new(),
        )
        .unwrap();
        let expected = local
            .run("t", &job.config, &[42], Some(Variant::Candidate))
            .unwrap()
            .remove(0);
        assert_eq!(
            record.team_runs[0].duration_seconds,
            expected.team_runs[0].duration_seconds
        );
        let figures = |r: &WorkflowRunRecord| -> Vec<(f64, u64)> {
            r.team_runs[0]
                .member_metrics
                .values()
                .map(|m| (m.duration_seconds, m.tool_calls_used))
                .collect()
        };
        assert_eq!(figures(&record), figures(&expected));
    }

    #[test]
    fn a_job_of_another_format_is_refused_with_the_reason() {
        let mut value = serde_json::to_value(job()).unwrap();
        value["format"] = serde_json::json!(2);
        let err = TrialJob::parse(&value.to_string()).unwrap_err();
        assert!(err.contains("job format 2"), "{err}");
        assert!(
            TrialJob::parse("[]")
                .unwrap_err()
                .starts_with("not a trial job")
        );
    }
}
