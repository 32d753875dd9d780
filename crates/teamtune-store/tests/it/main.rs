//! Integration tests of teamtune-store: one binary, one module per concern.

mod bad_files;
mod concurrency;
mod export;
mod history;
mod metrics;
mod support;
