//! The data teamtune reads and writes: workflow files (Victor's YAML format plus our
//! `providers`, `tools`, `command` members and `sim` blocks), the team run records the engine
//! produces and the analysis consumes, and the error types that point at the file, line and
//! column or record that caused them.
//!
//! Principal types: [`WorkflowFile`] (load with [`load_file`] or [`load_str`]), [`Workflow`],
//! [`Node`], [`TeamNode`], [`MemberSpec`], [`TeamConfig`] (the tunable view of a team), and
//! [`TeamRunRecord`]. [`apply_team_config`] writes a team's new configuration back into
//! its workflow file, keeping comments and formatting.

mod edit;
mod error;
mod formation;
mod hash;
mod limits;
mod load;
mod locate;
mod raw;
mod record;
mod redact;
mod seconds;
mod sim;
mod team_config;
mod template;
mod tuning;
mod workflow;

pub use edit::{EditError, apply_team_config};
pub use error::{LoadError, Problem, TeamNotFound, shorten_quoted};
pub use formation::Formation;
pub use hash::stable_hash;
pub use limits::{
    MAX_DURATION, MAX_NESTING, MAX_RETRIES, MAX_TEAM_ITERATIONS, MAX_TOKENS, MAX_TOOL_CALLS,
    MAX_WORKFLOW_ITERATIONS,
};
pub use load::{DEFAULT_TEAM_MAX_ITERATIONS, check_nesting, load_file, load_str};
pub use record::{
    MemberMetrics, StopCause, TeamRunRecord, TurnKind, TurnRecord, Variant, WorkflowRunRecord,
};
pub use redact::{REDACTED, Redactor};
pub use seconds::Seconds;
pub use sim::{SimOverrides, SimParams, SimTokens, ThinkTime};
pub use team_config::{MemberConfig, TeamConfig};
pub use template::normalize_template;
pub use tuning::{SizeBounds, TUNABLE_KEYS, TuningBlock};
pub use workflow::{
    AgentNode, CmpOp, ComputeNode, Condition, ConditionNode, Fallback, HitlNode, HitlType,
    JoinStrategy, MemberRunner, MemberSpec, Node, NodeKind, OpenAiProvider, ParallelNode, Provider,
    TeamNode, ToolDef, TransformNode, Workflow, WorkflowFile,
};
