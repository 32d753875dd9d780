//! Integration tests of teamtune-store: one binary, one module per concern.

mod concurrency;
mod export;
mod history;
mod metrics;
mod support;
