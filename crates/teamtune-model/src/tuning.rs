//! A team's `tuning:` block: what `apply --auto` may change.
//!
//! ```yaml
//! tuning:
//!   fixed: [team_formation]          # keys tuning leaves as they are
//!   members: {min: 2, max: 6}        # bounds on the team size
//!   may_drop_members: false          # members with a goal of their own stay (the default)
//! ```

use serde::{Deserialize, Serialize};

/// Keys `fixed` may name.
pub const TUNABLE_KEYS: [&str; 5] = [
    "team_formation",
    "members",
    "tool_budget",
    "timeout_seconds",
    "max_iterations",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuningBlock {
    #[serde(default)]
    pub fixed: Vec<String>,
    #[serde(default)]
    pub members: Option<SizeBounds>,
    #[serde(default)]
    pub may_drop_members: Option<bool>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeBounds {
    pub min: Option<usize>,
    pub max: Option<usize>,
}

impl TuningBlock {
    /// The first problem with the block, if any.
    pub fn problem(&self) -> Option<String> {
        if let Some(k) = self
            .fixed
            .iter()
            .find(|k| !TUNABLE_KEYS.contains(&k.as_str()))
        {
            return Some(format!(
                "tuning.fixed: `{k}` is not a key tuning changes (keys: {})",
                TUNABLE_KEYS.join(", ")
            ));
        }
        match self.members {
            Some(SizeBounds {
                min: Some(lo),
                max: Some(hi),
            }) if lo > hi => Some(format!("tuning.members: min {lo} is above max {hi}")),
            Some(SizeBounds { min: Some(0), .. }) => {
                Some("tuning.members.min must be at least 1".to_string())
            }
            _ => None,
        }
    }
}
