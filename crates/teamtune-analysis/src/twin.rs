//! The twin: a model of one team fitted from its recorded runs only (per-turn telemetry:
//! think time, tool latencies, tool calls, stop causes), never from the workflow file's
//! `sim:` blocks, so it works the same for command, LLM and simulated members.
//!
//! Per member it keeps the turn-time distribution (empirical, net of coordination), the tool
//! latency, the calls the work needs (Poisson, with the whole task divided among the
//! members), how calls grow with the budget (over-exploration), and the error and hang
//! hazards; per team, the coordination cost per extra member (when runs at several sizes
//! show it). [`Twin::predict`] replays any configuration of the team in virtual time with the
//! engine's formation semantics; [`Twin::check`] replays the recorded configurations and
//! measures how far the replay is from the records; [`search()`] looks for the best
//! configuration the tuning rules allow.
//!
//! Modules: [`observation`] (what the twin is fitted from), [`count_model`] (calls needed and
//! over-exploration, by maximum likelihood), [`fit`] (the member models), [`replay`] (one
//! run in virtual time), [`predict`] (many runs: the figures), [`check`] (the fit check),
//! [`space`] (what tuning may change), [`mod@search`] (the best configuration),
//! [`suggestion`] (the best as a `twin_search` suggestion).

pub mod check;
pub mod count_model;
pub mod fit;
pub mod observation;
pub mod predict;
pub mod replay;
pub mod search;
pub mod space;
pub mod suggestion;

pub use check::FitCheck;
pub use fit::{MemberModel, Twin};
pub use observation::Observation;
pub use predict::{Objective, Prediction};
pub use search::{SearchOutcome, SearchSettings, search};
pub use space::{MemberInfo, SearchSpace, TuningLimits};
pub use suggestion::{describe_change, full_config, twin_suggestion};
