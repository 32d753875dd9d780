//! Estimators shared by the strategies: every helper that more than one strategy uses lives
//! here, so that no strategy imports from a sibling strategy.
//!
//! - [`duration`]: a team's mean duration under another formation or with fewer members,
//!   from its members' timings ([`predict_duration`], [`formation_duration`]).
//! - [`tool_calls`]: seconds per tool call from the members' own turns
//!   ([`member_seconds_per_call`]), a member's calls in successful runs, and whether its
//!   calls follow its budget rather than the work ([`budget_following_usage`]).

pub(crate) mod duration;
pub(crate) mod tool_calls;

pub(crate) use duration::formation_duration;
pub use duration::{DurationPrediction, predict_duration};
pub(crate) use tool_calls::{
    any_budget_exhausted, budget_following_usage, member_seconds_per_call, successful_calls,
};
