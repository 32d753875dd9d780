//! Team formations: how the members of a team node run together.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Formation {
    Sequential,
    Parallel,
    Pipeline,
    Hierarchical,
    Consensus,
}

impl Formation {
    pub const ALL: [Formation; 5] = [
        Formation::Sequential,
        Formation::Parallel,
        Formation::Pipeline,
        Formation::Hierarchical,
        Formation::Consensus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Formation::Sequential => "sequential",
            Formation::Parallel => "parallel",
            Formation::Pipeline => "pipeline",
            Formation::Hierarchical => "hierarchical",
            Formation::Consensus => "consensus",
        }
    }

    /// The valid names, for error messages.
    pub fn valid_names() -> String {
        Formation::ALL.map(Formation::as_str).join(", ")
    }
}

impl fmt::Display for Formation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Formation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Formation::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown team_formation `{s}`; valid formations: {}",
                    Formation::valid_names()
                )
            })
    }
}
