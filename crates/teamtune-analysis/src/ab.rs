//! A/B validation (ARCHITECTURE section 7): compares the baseline and candidate runs of a
//! change and decides whether to keep it ([`decision::decide`]), with the guardrails of
//! [`guardrail`]. The same rules drive auto-rollback (pre-change runs as baseline, post-change
//! runs as candidate).

pub mod decision;
pub mod guardrail;
