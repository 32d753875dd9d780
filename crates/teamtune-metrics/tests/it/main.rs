//! Integration tests of teamtune-metrics: one binary, one module per concern.

mod victor_parity;
