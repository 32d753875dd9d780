//! Asymptotic confidence sequences: intervals for a mean that stay valid while the data are
//! looked at after every observation (no peeking penalty to pay later).
//!
//! A fixed-N confidence interval covers the mean with probability 1 - alpha at the one sample
//! size chosen in advance; checking it after every pair and stopping at the first
//! "significant" look inflates the error rate far above alpha. A confidence sequence covers
//! the mean at every n simultaneously, so a test may stop at any look.
//!
//! This is the normal-mixture boundary of Howard et al. (2021) in the asymptotic form of
//! Waudby-Smith et al. ("Time-uniform central limit theory and asymptotic confidence
//! sequences", 2023), the one GrowthBook's sequential engine uses: after n observations with
//! mean m and sample standard deviation s, the two-sided (1 - alpha) interval is
//! `m ± s * sqrt(2 (n rho² + 1) / (n² rho²) * ln(sqrt(n rho² + 1) / alpha))`.
//! The mixture parameter rho sets where the boundary is tightest; GrowthBook's choice
//! `rho = sqrt((-2 ln alpha + ln(-2 ln alpha + 1)) / n*)` makes it tightest near a planned
//! sample size n* ([`sequential_rho`]). The price of anytime validity is width: near n* the
//! half-width is about 3.0 standard errors at alpha = 0.05 instead of 1.96.
//!
//! "Asymptotic" means the guarantee holds as the sample grows and the variance estimate
//! settles; at a handful of observations it rests on the normal approximation. The A/B driver
//! ([`crate::ab::sequential`]) therefore makes no decision before a minimum number of pairs,
//! and its simulations measure the error rates actually reached at small n.

use serde::{Deserialize, Serialize};

/// GrowthBook's mixture parameter for a two-sided sequence tightest near `planned_n`
/// observations. `None` unless 0 < alpha < 1 and `planned_n` > 0 (both finite).
pub fn sequential_rho(alpha: f64, planned_n: f64) -> Option<f64> {
    let valid = alpha > 0.0 && alpha < 1.0 && planned_n > 0.0 && planned_n.is_finite();
    if !valid {
        return None;
    }
    let l = -2.0 * alpha.ln();
    let rho = ((l + (l + 1.0).ln()) / planned_n).sqrt();
    rho.is_finite().then_some(rho)
}

/// Half-width of the two-sided (1 - alpha) confidence sequence after `n` observations of
/// standard deviation `sd`, with mixture parameter `rho` (from [`sequential_rho`]).
/// `None` when n < 1, sd is negative or not finite, alpha is outside (0, 1) or rho is not
/// positive; a zero `sd` gives zero.
pub fn half_width(sd: f64, n: f64, alpha: f64, rho: f64) -> Option<f64> {
    let valid = n >= 1.0
        && n.is_finite()
        && sd >= 0.0
        && sd.is_finite()
        && alpha > 0.0
        && alpha < 1.0
        && rho > 0.0
        && rho.is_finite();
    if !valid {
        return None;
    }
    let r2 = rho * rho;
    let nr2 = n * r2;
    let radicand = 2.0 * (nr2 + 1.0) / (n * n * r2) * ((nr2 + 1.0).sqrt() / alpha).ln();
    let w = sd * radicand.max(0.0).sqrt();
    w.is_finite().then_some(w)
}

/// One look of a confidence sequence for a mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceSequence {
    pub n: u64,
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    pub half_width: f64,
    pub alpha: f64,
}

/// The sequence's interval for a mean of `n` observations; `None` whenever [`half_width`]
/// is (or the mean is not finite).
pub fn mean_confidence_sequence(
    n: u64,
    mean: f64,
    sd: f64,
    alpha: f64,
    rho: f64,
) -> Option<ConfidenceSequence> {
    if !mean.is_finite() {
        return None;
    }
    let w = half_width(sd, n as f64, alpha, rho)?;
    let (low, high) = (mean - w, mean + w);
    (low.is_finite() && high.is_finite()).then_some(ConfidenceSequence {
        n,
        estimate: mean,
        low,
        high,
        half_width: w,
        alpha,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64) -> bool {
        (got - want).abs() <= 1e-12 * want.abs().max(1.0)
    }

    /// Reference values from the closed forms in Python's `math` (the same expressions as
    /// GrowthBook's `sequentialRho` / `sequentialIntervalHalfwidth` and Waudby-Smith's
    /// `std_conjmix_margin`): e.g. `math.sqrt((-2*math.log(a)+math.log(-2*math.log(a)+1))/n)`.
    #[test]
    fn agrees_with_the_closed_form() {
        for (alpha, planned, want) in [
            (0.05, 20.0, 0.6299267656536578),
            (0.05, 5000.0, 0.03984006677137368),
            (0.01, 100.0, 0.33961362370663556),
            (0.1, 50.0, 0.35577688528897533),
        ] {
            let got = sequential_rho(alpha, planned).unwrap();
            assert!(
                close(got, want),
                "rho({alpha}, {planned}) = {got}, want {want}"
            );
        }
        for (sd, n, alpha, planned, want) in [
            (1.0, 5.0, 0.05, 20.0, 1.4598363755811676),
            (2.5, 37.0, 0.05, 20.0, 1.2560349359934762),
            (0.3, 1000.0, 0.01, 100.0, 0.03560777649252282),
            (1.0, 20.0, 0.05, 5000.0, 3.128471731302256),
            (7.0, 1.0, 0.1, 50.0, 45.3912364879723),
        ] {
            let rho = sequential_rho(alpha, planned).unwrap();
            let got = half_width(sd, n, alpha, rho).unwrap();
            assert!(
                close(got, want),
                "half_width({sd}, {n}) = {got}, want {want}"
            );
        }
        // Tightest near the planned size: about 3.0 standard errors there at alpha 0.05.
        let rho = sequential_rho(0.05, 20.0).unwrap();
        let z = |n: f64| half_width(1.0, n, 0.05, rho).unwrap() * n.sqrt();
        assert!(z(20.0) < z(5.0) && z(20.0) < z(100.0) && (z(20.0) - 3.035).abs() < 1e-3);
        let cs = mean_confidence_sequence(37, 0.4, 2.5, 0.05, rho).unwrap();
        assert!(close(cs.high - cs.low, 2.0 * 1.2560349359934762));
    }

    #[test]
    fn degenerate_inputs_are_none_or_zero() {
        assert_eq!(sequential_rho(0.0, 10.0), None);
        assert_eq!(sequential_rho(1.0, 10.0), None);
        assert_eq!(sequential_rho(0.05, 0.0), None);
        assert_eq!(sequential_rho(f64::NAN, 10.0), None);
        let rho = sequential_rho(0.05, 10.0).unwrap();
        assert_eq!(half_width(1.0, 0.0, 0.05, rho), None);
        assert_eq!(half_width(f64::INFINITY, 3.0, 0.05, rho), None);
        assert_eq!(half_width(-1.0, 3.0, 0.05, rho), None);
        assert_eq!(half_width(1.0, 3.0, 0.05, 0.0), None);
        assert_eq!(half_width(0.0, 3.0, 0.05, rho), Some(0.0));
        assert_eq!(mean_confidence_sequence(3, f64::NAN, 1.0, 0.05, rho), None);
    }
}
