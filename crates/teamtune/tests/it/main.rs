//! Library integration tests: apply, history, rollback, auto-rollback, A/B error rates, and
//! the fuzzing of metrics input and suggestion files, and the coordinator's side of trial
//! workers.

mod ab_rates;
mod apply;
mod external;
mod fuzz;
mod twin;
mod workers;
