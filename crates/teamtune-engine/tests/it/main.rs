//! Engine integration tests.

mod openai;
