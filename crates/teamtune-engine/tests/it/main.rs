//! Engine integration tests.

mod formations;
mod nodes;
mod openai;
