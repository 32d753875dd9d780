//! What `analyze` compares a team with. Victor's detectors measure a team against fixed
//! figures (30 s mean, 60 s p95, 95% success, 15 tool calls), which marks every team that
//! does an hour's work "slow". By default teamtune compares a team with its own history
//! instead: its own runs in other configurations. Victor's figures stay one flag away
//! (`--baselines victor`) for parity with the Python reference.

use serde::Serialize;
use teamtune_analysis::{Baselines, RunSample};

/// Where `analyze` takes its baselines from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum BaselineChoice {
    /// The team's own runs in its other configurations (the default). With fewer than
    /// [`Baselines::MIN_HISTORY_RUNS`] of them there is no baseline, and only the detectors
    /// that read the team's own evidence run.
    #[default]
    OwnHistory,
    /// Victor's fixed figures.
    Victor,
    /// Figures the caller gave (a baselines file).
    Given(Baselines),
}

/// Which baselines a report used (`baselines` in `analyze --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselinesUsed {
    pub source: BaselineSource,
    /// Runs the figures come from (own history only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<usize>,
    /// `None` when the team has no history to compare with yet.
    pub values: Option<Baselines>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineSource {
    OwnHistory,
    Victor,
    Given,
}

impl BaselineChoice {
    /// The baselines for a team whose other configurations ran `history`.
    pub(crate) fn resolve(&self, history: &[RunSample]) -> BaselinesUsed {
        match self {
            BaselineChoice::OwnHistory => BaselinesUsed {
                source: BaselineSource::OwnHistory,
                runs: Some(history.len()),
                values: Baselines::from_history(history),
            },
            BaselineChoice::Victor => BaselinesUsed {
                source: BaselineSource::Victor,
                runs: None,
                values: Some(Baselines::default()),
            },
            BaselineChoice::Given(b) => BaselinesUsed {
                source: BaselineSource::Given,
                runs: None,
                values: Some(*b),
            },
        }
    }
}

impl BaselinesUsed {
    /// One line for human reports.
    pub fn describe(&self) -> String {
        match (self.source, &self.values) {
            (BaselineSource::OwnHistory, Some(_)) => format!(
                "the team's own runs in its other configurations ({})",
                self.runs.unwrap_or(0)
            ),
            (BaselineSource::OwnHistory, None) => format!(
                "none yet: the team has {} own runs in other configurations (at least {} make a \
                 baseline), so only the detectors that read its own evidence ran; \
                 --baselines victor compares with Victor's fixed figures",
                self.runs.unwrap_or(0),
                Baselines::MIN_HISTORY_RUNS
            ),
            (BaselineSource::Victor, _) => {
                "Victor's fixed figures (30 s mean, 60 s p95, 95% success, 15 tool calls)"
                    .to_string()
            }
            (BaselineSource::Given, _) => "the baselines file".to_string(),
        }
    }
}
