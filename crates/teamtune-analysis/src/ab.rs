//! A/B validation: compares the baseline and candidate runs of a
//! change and decides whether to keep it ([`decision::decide`]), with the guardrails of
//! [`guardrail`]. The same rules drive auto-rollback (pre-change runs as baseline, post-change
//! runs as candidate).
//!
//! [`sequential`] is the anytime-valid alternative to a fixed number of runs: it runs
//! baseline and candidate in seeded pairs, looks after every pair and stops as soon as the
//! evidence settles the question; [`sequential_power`] sizes it from the team's history.

pub mod decision;
pub mod guardrail;
pub mod sequential;
pub mod sequential_power;
