//! Library integration tests: apply, history, rollback, auto-rollback, A/B error rates.

mod ab_rates;
mod apply;
mod twin;
