//! Integration tests of teamtune-analysis: one binary, one module per concern.

mod sequential;
mod stats_vs_scipy;
mod strategies;
