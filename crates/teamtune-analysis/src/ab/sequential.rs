//! The sequential A/B test: baseline and candidate run in pairs that share a seed, the test
//! looks after every pair and stops as soon as the evidence settles it. Every look is valid
//! (no peeking penalty): decisions come from anytime-valid confidence sequences
//! ([`crate::stats::confidence_sequence`]), so the error rate holds however often one looks.
//!
//! # The objective: a ratio
//!
//! What a team costs is the time it spends per job done: seconds per successful run,
//! `R = sum(duration) / count(success)` over all runs (failed runs' time included; alternatively
//! tool calls per successful run, [`SequentialObjective`]). A candidate that fails more must be
//! that much faster to win. The test estimates `ln R_c - ln R_b` (negative = candidate better)
//! with the delta method on the paired data: with per-arm means of the numerator D and of the
//! success indicator S, each pair contributes the influence value
//! `z_i = (Dc_i/mean(Dc) - Sc_i/mean(Sc)) - (Db_i/mean(Db) - Sb_i/mean(Sb))`, and the
//! confidence sequence is `estimate ± boundary(n, sd(z))`. Pairing lets a seed's difficulty
//! cancel out between the arms. The improvement is `(1 - R_c/R_b) * 100` and its interval the
//! log interval mapped through `exp`.
//!
//! Zero successes in an arm make its ratio infinite (or a zero numerator makes it zero): the
//! objective is then *undefined*, no objective decision is taken until both arms have a
//! success (and a positive numerator), and it is reported as an improvement of 0 with the widest
//! interval this module reports, [`IMPROVEMENT_FLOOR_PERCENT`] to
//! [`IMPROVEMENT_CEILING_PERCENT`] (log ratios are clamped to ±ln 1000, a thousandfold change,
//! so every figure stays finite). A candidate that never succeeds is caught by the
//! success-rate guardrail instead.
//!
//! # Guardrails: non-inferiority with the same anytime validity
//!
//! Each guardrail is a paired rate difference of a bad event, "harm" = candidate rate minus
//! baseline rate, in points:
//! - `success_rate_drop`: failures (`p_b - p_c`), margin [`SequentialRules::success_margin`]
//!   (default 10 points, today's guardrail);
//! - `tail_rate_increase`: runs longer than a threshold fixed *before* the test from the
//!   baseline's history (e.g. [`tail_threshold`]: 1.5 x its p95), margin
//!   [`SequentialRules::tail_margin`] (default 5 points). This replaces "p95 may rise by at most
//!   50%" with something a sequence can test cheaply and validly: a p95 is a poor thing to
//!   estimate from a few runs, an exceedance rate is a mean of indicators. Since at most ~5% of
//!   baseline runs pass 1.5 x its p95, a candidate whose rate of such runs stays within 5 points
//!   keeps its p95 within about +50%: the old limit, made testable.
//!
//! The harm's confidence sequence uses the Agresti-Min adjustment for paired proportions (half
//! a pseudo-pair in each cell of the paired 2x2 table): without it, ten pairs without a single
//! failure would have zero variance and "prove" any margin. A guardrail is
//! - `broken` when the sequence's lower bound of harm is above the margin (proven worse);
//! - `held` when its upper bound is below the margin (proven non-inferior);
//! - `undecided` otherwise.
//!
//! Proving "held" at a 10-point margin takes dozens of pairs (about 90 for a 5% failure
//! rate), far more than proving a large speed-up, so requiring it would rule out every quick
//! decision. By default a pass therefore needs each guardrail either held or *undecided
//! without evidence of harm*: its observed harm at most half the margin, i.e. the data fit "no
//! harm" at least as well as "harm at the margin" (the likelihood-ratio midpoint of a normal
//! approximation). One extra candidate failure in ten pairs (10 points) blocks a pass; the
//! test goes on. This is a heuristic, not a proof, and is checked at every look: a pass says
//! "the objective improved (proven), no guardrail was proven broken, none showed more than
//! half its margin", and each guardrail's `state` says which were proven.
//! [`SequentialRules::require_proven_guardrails`] demands the proof instead.
//!
//! What that buys and costs, measured by `examples/sequential_power.rs` (4000 tests each, a
//! look after every pair up to 100) on a team with skewed durations, 5% failures and 1% hangs:
//! a candidate 30% faster whose success rate falls from 95% to 75% (its seconds per successful
//! run still improve 11%) passes 9.7% of the time, mostly in early looks before its failures
//! show; with proven guardrails 0%, but then a clean 30% speed-up passes only 43% of the time
//! within 100 pairs instead of 93%. The same drop at the same speed passes 0.25% of the time.
//! Failures already count in the objective (seconds per *successful* run), so a
//! faster-but-failing candidate must beat that too.
//!
//! # Decisions
//!
//! No decision before [`SequentialRules::min_pairs`] (and no objective decision below 4 pairs,
//! see `small_sample_factor`). From then on, at each look, in order:
//! - `failed`: a guardrail broken, or the objective's sequence lies entirely on the worse side
//!   (candidate significantly worse);
//! - `passed`: the objective's sequence lies entirely on the better side, the point improvement
//!   reaches the threshold, and every guardrail is acceptable (above);
//! - `inconclusive`, early: the whole improvement sequence lies within ± the threshold (no
//!   meaningful change either way: an equivalence stop; a likely regression goes on until it
//!   is proven and fails);
//! - `inconclusive` at [`SequentialRules::max_pairs`] when nothing settled.
//!
//! Measured error rates (same example): A/A tests, looked at after every pair from 5 to 100,
//! pass 2.3% and fail 2.0% of the time (2.5% and 2.5% on a team whose hangs are a fifth of
//! its time), within the two-sided alpha of 5%; a 30% speed-up passes 93% of the time after 33
//! pairs per side on average, a 60% one 99% after 12.

use serde::{Deserialize, Serialize};

use super::decision::{AbStatus, RunOutcome};
use crate::stats::confidence_sequence::{half_width, sequential_rho};
use crate::summary::p95;

/// Log ratios shown are clamped to ±ln(1000) (a candidate 1000 times faster or slower).
pub const MAX_LOG_RATIO: f64 = 6.907_755_278_982_137;
/// The lowest improvement reported: a candidate 1000 times worse, (1 - 1000) * 100.
pub const IMPROVEMENT_FLOOR_PERCENT: f64 = -99_900.0;
/// The highest improvement reported: a candidate 1000 times better, (1 - 1/1000) * 100.
pub const IMPROVEMENT_CEILING_PERCENT: f64 = 99.9;
/// Durations above this (and non-finite ones: a run that never ended) count as this many
/// seconds; negative durations count as 0.
pub const MAX_DURATION_SECONDS: f64 = 1e9;
/// [`tail_threshold`]'s usual factor: 1.5 x the baseline's p95.
pub const DEFAULT_TAIL_FACTOR: f64 = 1.5;

/// What the sequential test minimizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SequentialObjective {
    /// sum(duration) / count(success).
    #[default]
    SecondsPerSuccess,
    /// sum(tool calls) / count(success).
    ToolCallsPerSuccess,
    /// sum(tokens in and out) / count(success).
    TokensPerSuccess,
}

impl SequentialObjective {
    fn numerator(self, run: &RunOutcome) -> f64 {
        match self {
            SequentialObjective::SecondsPerSuccess => clean_duration(run.duration_seconds),
            SequentialObjective::ToolCallsPerSuccess => run.tool_calls as f64,
            SequentialObjective::TokensPerSuccess => run.tokens as f64,
        }
    }

    fn label(self) -> &'static str {
        match self {
            SequentialObjective::SecondsPerSuccess => "seconds per successful run",
            SequentialObjective::ToolCallsPerSuccess => "tool calls per successful run",
            SequentialObjective::TokensPerSuccess => "tokens per successful run",
        }
    }
}

fn clean_duration(d: f64) -> f64 {
    if d.is_nan() {
        MAX_DURATION_SECONDS
    } else {
        d.clamp(0.0, MAX_DURATION_SECONDS)
    }
}

/// The sequential test's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SequentialRules {
    /// Error level of every confidence sequence, two-sided (default 0.05).
    pub alpha: f64,
    /// Minimum improvement of the objective in percent for a pass (default 5).
    pub threshold_percent: f64,
    /// No decision before this many pairs (default 5, at least 2; the objective needs 4).
    pub min_pairs: usize,
    /// Stop, inconclusive, at this many pairs (default 100); see
    /// [`crate::ab::sequential_power::pairs_needed`].
    pub max_pairs: usize,
    /// Where the sequences are tightest (GrowthBook's tuning parameter; default 20).
    pub planned_pairs: usize,
    /// Largest allowed success-rate drop, as a fraction (default 0.10, 10 points).
    pub success_margin: f64,
    /// Largest allowed rise of the rate of runs past `tail_threshold_seconds`, as a fraction
    /// (default 0.05, 5 points).
    pub tail_margin: f64,
    /// Runs longer than this count as tail events; fixed from the baseline's history before
    /// the test ([`tail_threshold`]). `None`: no tail guardrail.
    pub tail_threshold_seconds: Option<f64>,
    pub objective: SequentialObjective,
    /// Pass only when every guardrail is proven held (default false: undecided guardrails
    /// showing no harm are enough; see the module documentation). Valid non-inferiority at
    /// a 10-point margin takes dozens of pairs, so this rules out quick passes.
    pub require_proven_guardrails: bool,
}

impl Default for SequentialRules {
    fn default() -> Self {
        SequentialRules {
            alpha: 0.05,
            threshold_percent: 5.0,
            min_pairs: 5,
            max_pairs: 100,
            planned_pairs: 20,
            success_margin: 0.10,
            tail_margin: 0.05,
            tail_threshold_seconds: None,
            objective: SequentialObjective::SecondsPerSuccess,
            require_proven_guardrails: false,
        }
    }
}

/// Why the rules (or a power analysis' inputs) cannot run a test.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SequentialError {
    #[error("invalid sequential rule {field}: {reason}")]
    InvalidRule { field: &'static str, reason: String },
    #[error("the history has no runs to simulate from")]
    EmptyHistory,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> SequentialError {
    SequentialError::InvalidRule {
        field,
        reason: reason.into(),
    }
}

impl SequentialRules {
    /// Checks every field; [`SequentialTest::new`] calls it.
    pub fn validate(&self) -> Result<(), SequentialError> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(invalid("alpha", format!("{} is not in (0, 1)", self.alpha)));
        }
        if !self.threshold_percent.is_finite() || self.threshold_percent >= 100.0 {
            return Err(invalid(
                "threshold_percent",
                format!(
                    "{} is not a finite percentage below 100",
                    self.threshold_percent
                ),
            ));
        }
        if self.min_pairs < 2 {
            return Err(invalid("min_pairs", "at least 2 pairs are needed"));
        }
        if self.max_pairs < self.min_pairs {
            return Err(invalid(
                "max_pairs",
                format!("{} is below min_pairs {}", self.max_pairs, self.min_pairs),
            ));
        }
        if self.planned_pairs == 0 {
            return Err(invalid("planned_pairs", "must be positive"));
        }
        for (field, margin) in [
            ("success_margin", self.success_margin),
            ("tail_margin", self.tail_margin),
        ] {
            if !(margin > 0.0 && margin <= 1.0) {
                return Err(invalid(field, format!("{margin} is not in (0, 1]")));
            }
        }
        if let Some(t) = self.tail_threshold_seconds
            && !(t > 0.0 && t.is_finite())
        {
            return Err(invalid(
                "tail_threshold_seconds",
                format!("{t} is not a positive number"),
            ));
        }
        Ok(())
    }
}

/// `factor` x the baseline history's reference p95 duration (max below 20 runs), for
/// [`SequentialRules::tail_threshold_seconds`]; `None` for an empty history or a threshold
/// that is not a positive finite number.
pub fn tail_threshold(history: &[RunOutcome], factor: f64) -> Option<f64> {
    let durations: Vec<f64> = history
        .iter()
        .map(|r| clean_duration(r.duration_seconds))
        .collect();
    let t = p95(&durations)? * factor;
    (t > 0.0 && t.is_finite()).then_some(t)
}

/// The objective at one look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveEstimate {
    pub objective: SequentialObjective,
    /// Both arms have a success and a positive numerator, so both ratios are finite and
    /// positive. When false, the figures below are 0 and the full reported range.
    pub defined: bool,
    /// R_b, e.g. seconds per successful run of the baseline; `None` when infinite or zero.
    pub baseline_ratio: Option<f64>,
    pub candidate_ratio: Option<f64>,
    /// ln R_c - ln R_b (negative: candidate better), with its confidence sequence.
    pub log_ratio: f64,
    pub log_ratio_low: f64,
    pub log_ratio_high: f64,
    /// (1 - R_c / R_b) * 100, and the sequence mapped through exp.
    pub improvement_percentage: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Where a guardrail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardrailState {
    /// Harm proven below the margin (upper bound < margin).
    Held,
    /// Harm proven above the margin (lower bound > margin).
    Broken,
    /// Neither yet.
    Undecided,
}

/// One guardrail at one look; harm in points (candidate's bad-event rate minus baseline's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequentialGuardrail {
    /// `success_rate_drop` or `tail_rate_increase`.
    pub name: String,
    /// Observed harm (for `success_rate_drop`: baseline success rate - candidate's).
    pub estimate_points: f64,
    /// The harm's confidence sequence (Agresti-Min adjusted), clamped to [-100, 100].
    pub ci_low_points: f64,
    pub ci_high_points: f64,
    pub margin_points: f64,
    pub state: GuardrailState,
    /// Counts toward a pass: held, or undecided with observed harm at most half the margin
    /// (unless [`SequentialRules::require_proven_guardrails`]).
    pub acceptable: bool,
    /// The tail threshold (tail guardrail only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_seconds: Option<f64>,
}

/// How the test ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequentialInfo {
    /// Looks at which a decision could be taken (pairs from `min_pairs` on).
    pub looks: usize,
    /// Pairs pushed: runs per side.
    pub runs_per_side: usize,
    /// Stopped before `max_pairs`.
    pub stopped_early: bool,
    pub planned_pairs: usize,
    pub max_pairs: usize,
}

/// The verdict of a sequential test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequentialDecision {
    pub objective: SequentialObjective,
    pub status: AbStatus,
    /// Why, in one sentence.
    pub reason: String,
    /// (1 - R_c / R_b) * 100 and its confidence sequence, in percent.
    pub improvement_percentage: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub threshold_percent: f64,
    pub alpha: f64,
    pub estimate: ObjectiveEstimate,
    pub guardrails: Vec<SequentialGuardrail>,
    pub sequential: SequentialInfo,
}

/// What a look says.
#[derive(Debug, Clone, PartialEq)]
pub enum Look {
    /// Run another pair.
    Continue,
    /// Done; further pairs are ignored.
    Stop(Box<SequentialDecision>),
}

/// The objective's small-sample correction: the half-width is multiplied by
/// `sqrt((n - 1) / (n - 3))`, the ratio of the variance of Student's t with n - 1 degrees of
/// freedom to the normal's (none below 4 pairs: no objective decision there). The
/// asymptotic sequence treats the sample variance as exact; after five skewed runs it is not
/// (the rare slow run is usually not among them). Measured on the simulated team of
/// `examples/sequential_power.rs` with 3% hangs, looking after every pair from 5 to 100:
/// without it, A/A tests passed 4.6% and failed 2.0% of the time, most of it in the first five
/// looks (above the two-sided alpha of 5%); with it, 2.5% and 2.5%.
fn small_sample_factor(n: u64) -> Option<f64> {
    (n > 3).then(|| ((n as f64 - 1.0) / (n as f64 - 3.0)).sqrt())
}

/// Running means and co-moments (Welford) of a fixed-size vector.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Comoments<const K: usize> {
    n: u64,
    mean: [f64; K],
    c: [[f64; K]; K],
}

impl<const K: usize> Comoments<K> {
    fn new() -> Self {
        Comoments {
            n: 0,
            mean: [0.0; K],
            c: [[0.0; K]; K],
        }
    }

    fn push(&mut self, x: [f64; K]) {
        self.n += 1;
        let n = self.n as f64;
        let delta: [f64; K] = std::array::from_fn(|i| x[i] - self.mean[i]);
        for (m, d) in self.mean.iter_mut().zip(delta) {
            *m += d / n;
        }
        let after: [f64; K] = std::array::from_fn(|j| x[j] - self.mean[j]);
        for (row, d) in self.c.iter_mut().zip(delta) {
            for (c, a) in row.iter_mut().zip(after) {
                *c += d * a;
            }
        }
    }

    /// Sample variance of `g · x` (n - 1 denominator); `None` below two observations.
    fn variance_of(&self, g: [f64; K]) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let v: f64 = self
            .c
            .iter()
            .zip(g)
            .map(|(row, gi)| gi * row.iter().zip(g).map(|(c, gj)| c * gj).sum::<f64>())
            .sum();
        let v = v / (self.n - 1) as f64;
        v.is_finite().then_some(v.max(0.0))
    }
}

/// Discordant-pair counts of a bad event (failure, tail run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct PairedEvents {
    /// Bad in the candidate only.
    candidate_only: u64,
    /// Bad in the baseline only.
    baseline_only: u64,
}

impl PairedEvents {
    fn push(&mut self, baseline_bad: bool, candidate_bad: bool) {
        match (baseline_bad, candidate_bad) {
            (false, true) => self.candidate_only += 1,
            (true, false) => self.baseline_only += 1,
            _ => {}
        }
    }
}

/// The anytime-valid sequential A/B test; push pairs until it stops.
#[derive(Debug, Clone)]
pub struct SequentialTest {
    rules: SequentialRules,
    rho: f64,
    pairs: usize,
    /// (Db, Sb, Dc, Sc), D the objective's numerator.
    moments: Comoments<4>,
    failures: PairedEvents,
    tails: PairedEvents,
    decision: Option<SequentialDecision>,
}

/// A guardrail at one look, without allocations (fractions, not points).
#[derive(Debug, Clone, Copy)]
struct GuardrailEval {
    name: &'static str,
    harm: f64,
    low: f64,
    high: f64,
    margin: f64,
    state: GuardrailState,
    acceptable: bool,
    threshold_seconds: Option<f64>,
}

impl GuardrailEval {
    fn public(&self) -> SequentialGuardrail {
        SequentialGuardrail {
            name: self.name.to_owned(),
            estimate_points: self.harm * 100.0,
            ci_low_points: self.low * 100.0,
            ci_high_points: self.high * 100.0,
            margin_points: self.margin * 100.0,
            state: self.state,
            acceptable: self.acceptable,
            threshold_seconds: self.threshold_seconds,
        }
    }
}

struct Evaluation {
    estimate: ObjectiveEstimate,
    success: GuardrailEval,
    tail: Option<GuardrailEval>,
}

impl Evaluation {
    fn guardrails(&self) -> impl Iterator<Item = &GuardrailEval> {
        std::iter::once(&self.success).chain(self.tail.as_ref())
    }
}

impl SequentialTest {
    /// A test with these rules, or why they cannot run one.
    pub fn new(rules: SequentialRules) -> Result<SequentialTest, SequentialError> {
        rules.validate()?;
        let rho = sequential_rho(rules.alpha, rules.planned_pairs as f64)
            .ok_or_else(|| invalid("planned_pairs", "no mixture parameter for it"))?;
        Ok(SequentialTest {
            rules,
            rho,
            pairs: 0,
            moments: Comoments::new(),
            failures: PairedEvents::default(),
            tails: PairedEvents::default(),
            decision: None,
        })
    }

    pub fn rules(&self) -> &SequentialRules {
        &self.rules
    }

    /// Pairs taken so far (ignored ones after the stop excluded).
    pub fn pairs(&self) -> usize {
        self.pairs
    }

    /// The decision, once stopped.
    pub fn decision(&self) -> Option<&SequentialDecision> {
        self.decision.as_ref()
    }

    /// Adds one pair (same seed on both sides) and looks. After a stop, returns the same
    /// decision and ignores the pair.
    pub fn push(&mut self, baseline: RunOutcome, candidate: RunOutcome) -> Look {
        if let Some(d) = &self.decision {
            return Look::Stop(Box::new(d.clone()));
        }
        let objective = self.rules.objective;
        let s = |r: &RunOutcome| if r.success { 1.0 } else { 0.0 };
        self.moments.push([
            objective.numerator(&baseline),
            s(&baseline),
            objective.numerator(&candidate),
            s(&candidate),
        ]);
        self.failures.push(!baseline.success, !candidate.success);
        if let Some(t) = self.rules.tail_threshold_seconds {
            self.tails.push(
                clean_duration(baseline.duration_seconds) > t,
                clean_duration(candidate.duration_seconds) > t,
            );
        }
        self.pairs += 1;
        if self.pairs < self.rules.min_pairs {
            return Look::Continue;
        }
        match self.judge(self.pairs >= self.rules.max_pairs) {
            Some(d) => {
                self.decision = Some(d.clone());
                Look::Stop(Box::new(d))
            }
            None => Look::Continue,
        }
    }

    /// Stops now (out of budget, say) with the rules applied to the pairs so far: any
    /// decision the current look supports, else inconclusive. Stopping at any time keeps the
    /// sequences valid. Below `min_pairs` it is inconclusive.
    pub fn finish(&mut self) -> SequentialDecision {
        if let Some(d) = &self.decision {
            return d.clone();
        }
        let d = if self.pairs < self.rules.min_pairs {
            let e = self.evaluate();
            self.decision_from(
                e,
                AbStatus::Inconclusive,
                format!(
                    "stopped after {} pairs, before the minimum of {}",
                    self.pairs, self.rules.min_pairs
                ),
            )
        } else {
            self.judge(true).unwrap_or_else(|| {
                let e = self.evaluate();
                self.decision_from(e, AbStatus::Inconclusive, "stopped".to_owned())
            })
        };
        self.decision = Some(d.clone());
        d
    }

    /// The objective at the current look (for progress displays).
    pub fn estimate(&self) -> ObjectiveEstimate {
        self.evaluate().estimate
    }

    /// The guardrails at the current look.
    pub fn guardrails(&self) -> Vec<SequentialGuardrail> {
        self.evaluate()
            .guardrails()
            .map(GuardrailEval::public)
            .collect()
    }

    fn evaluate(&self) -> Evaluation {
        Evaluation {
            estimate: self.objective_estimate(),
            success: self.guardrail(
                "success_rate_drop",
                self.failures,
                self.rules.success_margin,
                None,
            ),
            tail: self.rules.tail_threshold_seconds.map(|t| {
                self.guardrail(
                    "tail_rate_increase",
                    self.tails,
                    self.rules.tail_margin,
                    Some(t),
                )
            }),
        }
    }

    fn objective_estimate(&self) -> ObjectiveEstimate {
        let m = self.moments.mean;
        let ratio = |num: f64, den: f64| {
            let r = num / den;
            (r > 0.0 && r.is_finite()).then_some(r)
        };
        let (rb, rc) = (ratio(m[0], m[1]), ratio(m[2], m[3]));
        let defined =
            self.moments.n > 0 && m.iter().all(|v| *v > 0.0) && rb.is_some() && rc.is_some();
        let undefined = ObjectiveEstimate {
            objective: self.rules.objective,
            defined: false,
            baseline_ratio: rb,
            candidate_ratio: rc,
            log_ratio: 0.0,
            log_ratio_low: -MAX_LOG_RATIO,
            log_ratio_high: MAX_LOG_RATIO,
            improvement_percentage: 0.0,
            ci_low: IMPROVEMENT_FLOOR_PERCENT,
            ci_high: IMPROVEMENT_CEILING_PERCENT,
        };
        if !defined {
            return undefined;
        }
        let log_ratio = (m[2] / m[3]).ln() - (m[0] / m[1]).ln();
        if !log_ratio.is_finite() {
            return undefined;
        }
        let g = [-1.0 / m[0], 1.0 / m[1], 1.0 / m[2], -1.0 / m[3]];
        let w = self
            .moments
            .variance_of(g)
            .and_then(|v| half_width(v.sqrt(), self.moments.n as f64, self.rules.alpha, self.rho))
            .zip(small_sample_factor(self.moments.n))
            .map_or(f64::INFINITY, |(w, factor)| w * factor);
        let clamp = |x: f64| x.clamp(-MAX_LOG_RATIO, MAX_LOG_RATIO);
        let (lo, hi) = (clamp(log_ratio - w), clamp(log_ratio + w));
        let pct = |l: f64| (1.0 - l.exp()) * 100.0;
        ObjectiveEstimate {
            objective: self.rules.objective,
            defined: true,
            baseline_ratio: rb,
            candidate_ratio: rc,
            log_ratio: clamp(log_ratio),
            log_ratio_low: lo,
            log_ratio_high: hi,
            improvement_percentage: pct(clamp(log_ratio)),
            ci_low: pct(hi),
            ci_high: pct(lo),
        }
    }

    fn guardrail(
        &self,
        name: &'static str,
        events: PairedEvents,
        margin: f64,
        threshold_seconds: Option<f64>,
    ) -> GuardrailEval {
        let n = self.pairs as f64;
        let raw = if self.pairs > 0 {
            (events.candidate_only as f64 - events.baseline_only as f64) / n
        } else {
            0.0
        };
        // Agresti-Min: half a pseudo-pair in each cell of the paired 2x2 table.
        let (a, b, total) = (
            events.candidate_only as f64 + 0.5,
            events.baseline_only as f64 + 0.5,
            n + 2.0,
        );
        let center = (a - b) / total;
        let variance = ((a + b) / total - center * center).max(0.0) * total / (total - 1.0);
        let w = half_width(variance.sqrt(), n, self.rules.alpha, self.rho).unwrap_or(f64::INFINITY);
        let (lo, hi) = ((center - w).max(-1.0), (center + w).min(1.0));
        let state = if lo > margin {
            GuardrailState::Broken
        } else if hi < margin {
            GuardrailState::Held
        } else {
            GuardrailState::Undecided
        };
        let acceptable = match state {
            GuardrailState::Held => true,
            GuardrailState::Broken => false,
            GuardrailState::Undecided => {
                !self.rules.require_proven_guardrails && raw <= margin / 2.0
            }
        };
        GuardrailEval {
            name,
            harm: raw,
            low: lo,
            high: hi,
            margin,
            state,
            acceptable,
            threshold_seconds,
        }
    }

    /// The decision the current look supports; at the cap (`last`) always one.
    fn judge(&self, last: bool) -> Option<SequentialDecision> {
        let e = self.evaluate();
        let est = &e.estimate;
        let label = self.rules.objective.label();
        let threshold = self.rules.threshold_percent;
        let (status, reason) = if e.guardrails().any(|g| g.state == GuardrailState::Broken) {
            let broken: Vec<String> = e
                .guardrails()
                .filter(|g| g.state == GuardrailState::Broken)
                .map(|g| {
                    format!(
                        "{} {:.1} points (at least {:.1}) > {:.1}",
                        g.name,
                        g.harm * 100.0,
                        g.low * 100.0,
                        g.margin * 100.0
                    )
                })
                .collect();
            (
                AbStatus::Failed,
                format!("guardrail broken: {}", broken.join(", ")),
            )
        } else if est.defined && est.log_ratio_low > 0.0 {
            (
                AbStatus::Failed,
                format!(
                    "significantly worse: {label} {:+.1}% (between {:+.1}% and {:+.1}%)",
                    -est.improvement_percentage, -est.ci_high, -est.ci_low
                ),
            )
        } else if est.defined
            && est.log_ratio_high < 0.0
            && est.improvement_percentage >= threshold
            && e.guardrails().all(|g| g.acceptable)
        {
            let unproven: Vec<&str> = e
                .guardrails()
                .filter(|g| g.state != GuardrailState::Held)
                .map(|g| g.name)
                .collect();
            let note = if unproven.is_empty() {
                "guardrails proven held".to_owned()
            } else {
                format!(
                    "guardrails not proven but showing no harm: {}",
                    unproven.join(", ")
                )
            };
            (
                AbStatus::Passed,
                format!(
                    "{label} improved {:.1}% (between {:.1}% and {:.1}%; threshold {threshold:.1}%); {note}",
                    est.improvement_percentage, est.ci_low, est.ci_high
                ),
            )
        } else if let Some(gain) = e
            .guardrails()
            .find(|g| g.name == "success_rate_drop")
            .filter(|g| {
                est.baseline_ratio.is_none() && est.candidate_ratio.is_some() && g.high < 0.0
            })
        {
            // The baseline has not succeeded once: its objective is infinite, and a candidate
            // proven to succeed more often is better by any measure.
            (
                AbStatus::Passed,
                format!(
                    "the baseline never succeeded; the candidate's success rate is {:.1} points higher (at least {:.1})",
                    -gain.harm * 100.0,
                    -gain.high * 100.0
                ),
            )
        } else if est.defined && est.ci_high < threshold && est.ci_low > -threshold {
            (
                AbStatus::Inconclusive,
                format!(
                    "no meaningful change: {label} between {:.1}% and {:.1}% better, within the {threshold:.1}% threshold either way",
                    est.ci_low, est.ci_high
                ),
            )
        } else if last {
            let why = if !est.defined {
                "an arm has no successful run yet".to_owned()
            } else if est.log_ratio_high >= 0.0 {
                format!(
                    "{label} {:.1}% better, between {:.1}% and {:.1}%, not significant",
                    est.improvement_percentage, est.ci_low, est.ci_high
                )
            } else if est.improvement_percentage < threshold {
                format!(
                    "{label} improved only {:.1}% (threshold {threshold:.1}%)",
                    est.improvement_percentage
                )
            } else {
                let harm: Vec<String> = e
                    .guardrails()
                    .filter(|g| !g.acceptable)
                    .map(|g| format!("{} {:.1} points", g.name, g.harm * 100.0))
                    .collect();
                format!("guardrails showing harm: {}", harm.join(", "))
            };
            (
                AbStatus::Inconclusive,
                format!("no decision after {} pairs: {why}", self.pairs),
            )
        } else {
            return None;
        };
        Some(self.decision_from(e, status, reason))
    }

    fn decision_from(&self, e: Evaluation, status: AbStatus, reason: String) -> SequentialDecision {
        SequentialDecision {
            objective: self.rules.objective,
            status,
            reason,
            improvement_percentage: e.estimate.improvement_percentage,
            ci_low: e.estimate.ci_low,
            ci_high: e.estimate.ci_high,
            threshold_percent: self.rules.threshold_percent,
            alpha: self.rules.alpha,
            guardrails: e.guardrails().map(GuardrailEval::public).collect(),
            estimate: e.estimate,
            sequential: SequentialInfo {
                looks: (self.pairs + 1).saturating_sub(self.rules.min_pairs),
                runs_per_side: self.pairs,
                stopped_early: self.pairs < self.rules.max_pairs,
                planned_pairs: self.rules.planned_pairs,
                max_pairs: self.rules.max_pairs,
            },
        }
    }
}

/// Runs a sequential test over recorded pairs (baseline, candidate) in order: the decision
/// at the first stop, else [`SequentialTest::finish`] after the last pair.
pub fn run_sequential(
    pairs: &[(RunOutcome, RunOutcome)],
    rules: SequentialRules,
) -> Result<SequentialDecision, SequentialError> {
    let mut test = SequentialTest::new(rules)?;
    for (b, c) in pairs {
        if let Look::Stop(d) = test.push(*b, *c) {
            return Ok(*d);
        }
    }
    Ok(test.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(d: f64, success: bool) -> RunOutcome {
        RunOutcome {
            duration_seconds: d,
            success,
            tool_calls: (d / 5.0) as u64,
            tokens: 0,
        }
    }

    /// Durations with seed-to-seed spread (same seed, similar duration on both sides).
    fn seed_duration(i: usize) -> f64 {
        100.0 + ((i * 37) % 23) as f64 * 4.0 - 40.0
    }

    fn jitter(i: usize) -> f64 {
        1.0 + (((i * 53) % 11) as f64 - 5.0) / 100.0
    }

    #[test]
    fn comoments_match_the_direct_formulas() {
        let xs = [[1.0, 2.0], [3.0, 1.0], [4.0, 5.0], [10.0, -2.0]];
        let mut m = Comoments::<2>::new();
        for x in xs {
            m.push(x);
        }
        let v = |g: [f64; 2]| {
            let z: Vec<f64> = xs.iter().map(|x| g[0] * x[0] + g[1] * x[1]).collect();
            crate::summary::sample_variance(&z).unwrap()
        };
        for g in [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0], [0.5, 2.0]] {
            assert!((m.variance_of(g).unwrap() - v(g)).abs() < 1e-12);
        }
        assert!((m.mean[0] - 4.5).abs() < 1e-12 && (m.mean[1] - 1.5).abs() < 1e-12);
    }

    #[test]
    fn a_clear_speed_up_passes_early_and_a_slow_down_fails() {
        let rules = SequentialRules::default();
        let mut test = SequentialTest::new(rules).unwrap();
        let mut stop = None;
        for i in 0..100 {
            let d = seed_duration(i);
            if let Look::Stop(s) = test.push(run(d * jitter(i), true), run(d * 0.6, true)) {
                stop = Some(s);
                break;
            }
        }
        let d = *stop.unwrap();
        assert_eq!(d.status, AbStatus::Passed, "{}", d.reason);
        assert!(d.sequential.stopped_early && d.sequential.runs_per_side < 10);
        assert!(d.ci_low > 0.0 && d.ci_low <= d.improvement_percentage);
        assert!(d.improvement_percentage <= d.ci_high);
        assert!((d.improvement_percentage - 40.0).abs() < 3.0, "{d:#?}");
        // Ignores pairs after the stop.
        assert_eq!(
            test.push(run(1.0, false), run(1.0, false)),
            Look::Stop(Box::new(d))
        );

        let slower: Vec<_> = (0..100)
            .map(|i| {
                (
                    run(seed_duration(i) * jitter(i), true),
                    run(seed_duration(i) * 1.5, true),
                )
            })
            .collect();
        let d = run_sequential(&slower, rules).unwrap();
        assert_eq!(d.status, AbStatus::Failed, "{}", d.reason);
        assert!(d.reason.contains("significantly worse"));
        assert!(d.ci_high < 0.0);
    }

    #[test]
    fn no_change_stops_inconclusive_and_nothing_before_min_pairs() {
        let rules = SequentialRules::default();
        let same: Vec<_> = (0..100)
            .map(|i| {
                let d = seed_duration(i);
                (run(d * jitter(i), true), run(d * jitter(i + 3), true))
            })
            .collect();
        let mut test = SequentialTest::new(rules).unwrap();
        for (b, c) in same.iter().take(rules.min_pairs - 1) {
            assert_eq!(test.push(*b, *c), Look::Continue);
        }
        let d = run_sequential(&same, rules).unwrap();
        assert_eq!(d.status, AbStatus::Inconclusive, "{}", d.reason);
        // Futility: the sequence rules out the threshold before the cap.
        assert!(d.sequential.stopped_early && d.ci_high < 5.0, "{d:#?}");
        let short = run_sequential(&same[..3], rules).unwrap();
        assert_eq!(short.status, AbStatus::Inconclusive);
        assert!(short.reason.contains("before the minimum"));
    }

    #[test]
    fn a_candidate_that_never_succeeds_is_undefined_then_broken() {
        let rules = SequentialRules::default();
        let mut test = SequentialTest::new(rules).unwrap();
        let mut stop = None;
        for i in 0..100 {
            if let Look::Stop(s) = test.push(run(seed_duration(i), true), run(1.0, false)) {
                stop = Some(s);
                break;
            }
        }
        let d = *stop.unwrap();
        assert_eq!(d.status, AbStatus::Failed, "{}", d.reason);
        assert!(d.reason.contains("success_rate_drop"));
        assert!(!d.estimate.defined && d.estimate.candidate_ratio.is_none());
        assert_eq!(
            (d.improvement_percentage, d.ci_low, d.ci_high),
            (0.0, IMPROVEMENT_FLOOR_PERCENT, IMPROVEMENT_CEILING_PERCENT)
        );
        assert_eq!(d.guardrails[0].state, GuardrailState::Broken);

        // Neither arm ever succeeds: nothing to decide, inconclusive at the cap.
        let none: Vec<_> = (0..20)
            .map(|i| (run(seed_duration(i), false), run(seed_duration(i), false)))
            .collect();
        let d = run_sequential(
            &none,
            SequentialRules {
                max_pairs: 20,
                ..rules
            },
        )
        .unwrap();
        assert_eq!(d.status, AbStatus::Inconclusive);
        assert!(!d.sequential.stopped_early && d.reason.contains("no successful run"));
    }

    #[test]
    fn guardrails_need_evidence_before_they_hold() {
        // Identical sides and a zero threshold: nothing stops this test before its cap.
        let rules = SequentialRules {
            tail_threshold_seconds: Some(200.0),
            threshold_percent: 0.0,
            max_pairs: 1000,
            ..SequentialRules::default()
        };
        let mut test = SequentialTest::new(rules).unwrap();
        for i in 0..10 {
            test.push(run(seed_duration(i), true), run(seed_duration(i), true));
        }
        // Ten clean pairs do not prove a 10-point margin (no zero-variance shortcut)...
        let g = test.guardrails();
        assert_eq!(g.len(), 2);
        assert!(
            g.iter()
                .all(|g| g.state == GuardrailState::Undecided && g.acceptable),
            "{g:#?}"
        );
        // ... a hundred do.
        for i in 10..100 {
            let look = test.push(run(seed_duration(i), true), run(seed_duration(i), true));
            assert_eq!(look, Look::Continue);
        }
        let g = test.guardrails();
        assert!(g.iter().all(|g| g.state == GuardrailState::Held), "{g:#?}");
        // One extra candidate failure in ten pairs is more than half the margin: no pass yet.
        let mut test = SequentialTest::new(SequentialRules {
            threshold_percent: 5.0,
            ..rules
        })
        .unwrap();
        for i in 0..10 {
            let d = seed_duration(i);
            let look = test.push(run(d, true), run(d * 0.5, i != 3));
            assert_eq!(look, Look::Continue, "{:#?}", test.guardrails());
        }
        assert!(!test.guardrails()[0].acceptable);
        assert!(test.estimate().ci_low > 0.0);
        // Strict rules want the guardrails proven, whatever the speed-up.
        let mut strict = SequentialTest::new(SequentialRules {
            threshold_percent: 5.0,
            require_proven_guardrails: true,
            ..rules
        })
        .unwrap();
        for i in 0..20 {
            let d = seed_duration(i);
            assert_eq!(
                strict.push(run(d, true), run(d * 0.5, true)),
                Look::Continue
            );
        }
    }

    #[test]
    fn rules_are_validated() {
        let ok = SequentialRules::default();
        assert!(ok.validate().is_ok());
        for bad in [
            SequentialRules { alpha: 0.0, ..ok },
            SequentialRules {
                alpha: f64::NAN,
                ..ok
            },
            SequentialRules { min_pairs: 1, ..ok },
            SequentialRules { max_pairs: 4, ..ok },
            SequentialRules {
                planned_pairs: 0,
                ..ok
            },
            SequentialRules {
                success_margin: 0.0,
                ..ok
            },
            SequentialRules {
                tail_margin: 2.0,
                ..ok
            },
            SequentialRules {
                threshold_percent: f64::INFINITY,
                ..ok
            },
            SequentialRules {
                tail_threshold_seconds: Some(-1.0),
                ..ok
            },
        ] {
            assert!(SequentialTest::new(bad).is_err(), "{bad:?}");
        }
        let json: SequentialRules = serde_json::from_str(r#"{"max_pairs": 40}"#).unwrap();
        assert_eq!(
            json,
            SequentialRules {
                max_pairs: 40,
                ..ok
            }
        );
        assert_eq!(tail_threshold(&[], 1.5), None);
        assert_eq!(
            tail_threshold(&[run(10.0, true), run(20.0, false)], 1.5),
            Some(30.0)
        );
    }

    #[test]
    fn json_shape() {
        let rules = SequentialRules {
            max_pairs: 6,
            tail_threshold_seconds: Some(150.0),
            ..SequentialRules::default()
        };
        let pairs: Vec<_> = (0..6)
            .map(|i| {
                (
                    run(seed_duration(i), true),
                    run(seed_duration(i) * jitter(i), true),
                )
            })
            .collect();
        let d = run_sequential(&pairs, rules).unwrap();
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["status"], "inconclusive");
        assert_eq!(v["objective"], "seconds_per_success");
        assert_eq!(v["sequential"]["runs_per_side"], 6);
        assert_eq!(v["sequential"]["looks"], 2);
        assert_eq!(v["guardrails"][0]["name"], "success_rate_drop");
        assert_eq!(v["guardrails"][1]["state"], "undecided");
        assert_eq!(v["guardrails"][1]["threshold_seconds"], 150.0);
        assert!(v["estimate"]["baseline_ratio"].is_number());
    }
}
