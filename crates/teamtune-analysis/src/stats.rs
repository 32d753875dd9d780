//! Two-sample statistics for A/B tests: [`welch::welch_t_test`],
//! [`mann_whitney::mann_whitney_u`], [`bootstrap::bootstrap_improvement_ci`], and
//! [`compare::compare`] which runs all three (the `teamtune compare --json` shape), and
//! [`fisher::fisher_exact`] for success rates. [`confidence_sequence`] has the anytime-valid
//! intervals of the sequential A/B test.
//!
//! Welch and Mann-Whitney agree with scipy (`ttest_ind(equal_var=False)`,
//! `mannwhitneyu(method="asymptotic", use_continuity=True)`) to 1e-6 relative; the fixture
//! `tests/fixtures/scipy_reference.json` pins that. Degenerate inputs get defined, finite
//! answers (documented on each function) so nothing serializes as NaN or infinity.

pub mod bootstrap;
pub mod compare;
pub mod confidence_sequence;
pub mod fisher;
pub mod mann_whitney;
pub mod welch;
