//! The teamtune engine: executes a loaded [`Workflow`](teamtune_model::Workflow) for real.
//!
//! [`Engine`] walks the node graph with a state map, runs team nodes in their formation
//! (sequential, parallel, pipeline, hierarchical, consensus) with member and team budgets and
//! timeouts enforced, and returns a [`WorkflowRunRecord`](teamtune_model::WorkflowRunRecord)
//! holding one [`TeamRunRecord`](teamtune_model::TeamRunRecord) per team run. Members are
//! commands (argv, no shell), OpenAI-compatible chat endpoints with tool calling, or the
//! seeded simulator. Simulated runs use tokio's paused clock ([`virtual_runtime`]): the same
//! engine code, with time that jumps.
//!
//! The engine never prints. Progress leaves as [`Event`]s through an [`EventSink`]; human
//! gates are answered by a [`HitlPolicy`] and, for `prompt`, a [`HitlResponder`] the caller
//! provides.

mod error;
mod event;
mod expr;
mod hitl;
mod inputs;
mod member;
mod nodes;
mod run;
mod seed;
mod state;
mod team;

pub use error::EngineError;
pub use event::{Event, EventSink};
pub use hitl::{HitlAnswer, HitlPolicy, HitlRequest, HitlResponder};
pub use member::descendants::{adopt_orphans, kill_all_member_processes, kill_orphans};
pub use run::{Engine, RunOptions, new_run_id};
pub use seed::run_seed;
pub use state::State;

/// A runtime for simulated runs: single-threaded with the clock paused, so sleeps complete
/// instantly while durations are measured in virtual seconds.
pub fn virtual_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
}

/// A runtime for real runs (commands, HTTP).
pub fn real_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}
