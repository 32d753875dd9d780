//! Library integration tests: apply, history, rollback, auto-rollback, A/B error rates, and
//! the fuzzing of metrics input and suggestion files.

mod ab_rates;
mod apply;
mod external;
mod fuzz;
mod twin;
