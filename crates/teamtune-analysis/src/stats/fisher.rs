//! Fisher's exact test on a 2x2 table of successes and failures, two-sided, as scipy's
//! `fisher_exact(table, alternative="two-sided")`: the sum of the hypergeometric
//! probabilities of every table with the same margins that is no more likely than the one
//! observed (with scipy's relative tolerance of 1e-7 for ties).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FisherResult {
    pub successes_a: u64,
    pub n_a: u64,
    pub successes_b: u64,
    pub n_b: u64,
    pub p_value: f64,
}

fn ln_factorial(n: u64) -> f64 {
    (1..=n).map(|k| (k as f64).ln()).sum()
}

fn ln_choose(n: u64, k: u64) -> f64 {
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// Two-sided p-value of `successes_a` of `n_a` against `successes_b` of `n_b`. Empty sides
/// or a table with one margin empty give p = 1.
pub fn fisher_exact(successes_a: u64, n_a: u64, successes_b: u64, n_b: u64) -> FisherResult {
    let result = |p: f64| FisherResult {
        successes_a,
        n_a,
        successes_b,
        n_b,
        p_value: p.clamp(0.0, 1.0),
    };
    if n_a == 0 || n_b == 0 || successes_a > n_a || successes_b > n_b {
        return result(1.0);
    }
    let total = n_a + n_b;
    let successes = successes_a + successes_b;
    if successes == 0 || successes == total {
        return result(1.0);
    }
    // P(X = x): x successes in the first row, margins fixed.
    let ln_denominator = ln_choose(total, successes);
    let prob = |x: u64| (ln_choose(n_a, x) + ln_choose(n_b, successes - x) - ln_denominator).exp();
    let lo = successes.saturating_sub(n_b);
    let hi = successes.min(n_a);
    let observed = prob(successes_a);
    let p: f64 = (lo..=hi)
        .map(prob)
        .filter(|&q| q <= observed * (1.0 + 1e-7))
        .sum();
    result(p)
}

#[cfg(test)]
mod tests {
    use super::fisher_exact;

    /// Values from scipy 1.17 `fisher_exact([[a, n_a - a], [b, n_b - b]])`.
    #[test]
    fn agrees_with_scipy() {
        for (a, na, b, nb, want) in [
            (3, 10, 10, 10, 0.0030959752321981426),
            (7, 10, 10, 10, 0.21052631578947367),
            (5, 10, 5, 10, 1.0),
            (0, 10, 0, 10, 1.0),
            (10, 10, 10, 10, 1.0),
            (8, 10, 3, 10, 0.06977851869492736),
            (25, 30, 30, 30, 0.05218554861730598),
            (1, 30, 9, 30, 0.012182915008697837),
            (12, 30, 20, 30, 0.06920580631231707),
        ] {
            let got = fisher_exact(a, na, b, nb).p_value;
            assert!(
                (got - want).abs() <= 1e-9 * want.max(1e-12),
                "{a}/{na} vs {b}/{nb}: {got} != {want}"
            );
        }
    }

    #[test]
    fn degenerate_tables_are_defined() {
        assert_eq!(fisher_exact(0, 0, 3, 5).p_value, 1.0);
        assert_eq!(fisher_exact(9, 5, 3, 5).p_value, 1.0);
        for a in 0..=12 {
            for b in 0..=9 {
                let p = fisher_exact(a, 12, b, 9).p_value;
                assert!((0.0..=1.0).contains(&p) && p.is_finite());
            }
        }
    }
}
