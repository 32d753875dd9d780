//! Integration tests of teamtune-store: one binary, one module per concern.

mod backends;
mod bad_files;
mod concurrency;
mod experiments;
mod export;
mod history;
mod metrics;
mod postgres;
mod queue;
mod support;
