//! The workflow format's limits, in one place: the loader checks every file against them and
//! docs/workflow-format.md states them. Each one keeps a run bounded in time, memory or
//! parsing work whatever the file says.

use std::time::Duration;

/// The longest duration a file may give (timeouts, simulated latencies, think times): 30
/// days. Longer ones are almost certainly mistakes, and bounding them keeps every deadline
/// representable on every clock.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Deepest nesting of maps and lists (block or flow) in a workflow or inputs file.
pub const MAX_NESTING: usize = 128;

/// Largest workflow `max_iterations` (node executions in one run). A run keeps one team run
/// record per team execution, so this also bounds a run's memory.
pub const MAX_WORKFLOW_ITERATIONS: u32 = 10_000;

/// Largest team `max_iterations` (consensus rounds).
pub const MAX_TEAM_ITERATIONS: u32 = 1_000;

/// Largest count a file may give for tool calls: `tool_budget`, `total_tool_budget` and
/// `sim.work_calls`.
pub const MAX_TOOL_CALLS: u32 = 1_000_000;

/// Largest provider `max_retries`.
pub const MAX_RETRIES: u32 = 100;

/// Largest provider `max_tokens`.
pub const MAX_TOKENS: u32 = 10_000_000;

/// Quoted values in error messages are cut to this many bytes.
pub const MAX_QUOTED_IN_MESSAGE: usize = 60;
