//! Integration tests of teamtune-analysis: one binary, one module per concern.

mod victor_parity;
