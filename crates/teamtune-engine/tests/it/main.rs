//! Engine integration tests.

mod formations;
mod fuzz_workflows;
mod nodes;
mod openai;
