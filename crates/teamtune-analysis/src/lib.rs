//! Pure, synchronous analysis of team run records.
//!
//! Records come in as lean [`RunSample`]s: from stored records ([`samples_from_store`]), or
//! from a metrics file through the `teamtune-metrics` crate, which streams it record by
//! record (this crate reads no metrics files and starts no threads). [`Summary`] gives means,
//! the reference p95, rates and per-member figures. [`detect`] finds bottlenecks ([`Insight`]s) with the Victor rules
//! and our own evidence-based detectors, against configurable [`Baselines`].
//! [`strategy`] turns insights and history into ranked [`Suggestion`]s against the team's
//! current `TeamConfig` ([`suggest`], [`apply_suggestion`]).
//! [`stats`] has Welch's t-test, Mann-Whitney U, the seeded bootstrap and [`compare`];
//! [`ab`] decides an A/B test ([`decide`]: improvement, significance, guardrails, status),
//! or runs one sequentially ([`SequentialTest`], sized by [`pairs_needed`]).
//!
//! Principal types: [`RunSample`], [`Summary`], [`Baselines`], [`Insight`], [`Detector`],
//! [`Strategy`], [`Suggestion`], [`AbDecision`], [`SequentialDecision`],
//! [`Comparison`], [`twin::Twin`].

pub mod ab;
pub mod baselines;
pub mod detect;
pub mod error;
pub mod evidence;
pub mod insight;
pub mod run_sample;
pub mod stats;
pub mod strategy;
pub mod suggestion;
pub mod summary;
pub mod twin;

pub use ab::decision::{
    AbDecision, AbMetric, AbStatus, DecisionRules, MetricsSnapshot, RunOutcome, decide,
    decide_reliability, decide_runs,
};
pub use ab::guardrail::Guardrail;
pub use ab::sequential::{
    GuardrailState, Look, ObjectiveEstimate, SequentialDecision, SequentialError,
    SequentialGuardrail, SequentialInfo, SequentialObjective, SequentialRules, SequentialTest,
    run_sequential, tail_threshold,
};
pub use ab::sequential_power::{PowerEstimate, pairs_needed, pairs_needed_with};
pub use baselines::Baselines;
pub use detect::{
    DetectionInput, Detector, analyze, analyze_with, default_detectors, evidence_detectors,
};
pub use error::{ApplyError, BaselinesError};
pub use insight::Insight;
pub use run_sample::{FailureKind, MemberSample, RunSample, samples_from_store};
pub use stats::compare::{Comparison, compare};
pub use strategy::{Strategy, StrategyContext, apply_suggestion, default_strategies, suggest};
pub use suggestion::{Priority, Suggestion, SuggestionType, suggestion_id};
pub use summary::{MemberSummary, Summary};
