//! Welch's unequal-variance t-test, two-sided, with Welch-Satterthwaite degrees of freedom and
//! the Student t distribution (statrs' regularized incomplete beta).

use serde::{Deserialize, Serialize};
use statrs::function::beta::beta_reg;

use crate::summary::{mean, sample_variance};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WelchResult {
    /// (mean_a - mean_b) / sqrt(var_a/n_a + var_b/n_b).
    pub t: f64,
    pub df: f64,
    /// Two-sided p-value, in [0, 1].
    pub p_value: f64,
}

impl WelchResult {
    const NO_EVIDENCE: WelchResult = WelchResult {
        t: 0.0,
        df: 0.0,
        p_value: 1.0,
    };
}

/// Welch's t-test of `a` against `b`.
///
/// Degenerate cases (where scipy returns NaN or infinity):
/// - fewer than 2 values on either side: t = 0, df = 0, p = 1 (no evidence);
/// - both variances zero and equal means: t = 0, df = n_a + n_b - 2, p = 1;
/// - both variances zero and different means: the difference is certain; t = ±f64::MAX
///   (finite, so it serializes), df = n_a + n_b - 2, p = 0.
pub fn welch_t_test(a: &[f64], b: &[f64]) -> WelchResult {
    let (Some(va), Some(vb), Some(ma), Some(mb)) =
        (sample_variance(a), sample_variance(b), mean(a), mean(b))
    else {
        return WelchResult::NO_EVIDENCE;
    };
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (sa, sb) = (va / na, vb / nb);
    let se2 = sa + sb;
    if se2 <= 0.0 || !se2.is_finite() {
        let df = na + nb - 2.0;
        return if ma == mb {
            WelchResult {
                t: 0.0,
                df,
                p_value: 1.0,
            }
        } else {
            WelchResult {
                t: f64::MAX.copysign(ma - mb),
                df,
                p_value: 0.0,
            }
        };
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    WelchResult {
        t,
        df,
        p_value: student_t_two_sided(t, df),
    }
}

/// P(|T| >= |t|) for Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2).
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return if t.is_nan() { 1.0 } else { 0.0 };
    }
    if df <= 0.0 || !df.is_finite() {
        return 1.0;
    }
    let x = df / (df + t * t);
    beta_reg(df / 2.0, 0.5, x).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_value() {
        // scipy.stats.ttest_ind([1,2,3,4,5],[2,4,6,8,10],equal_var=False)
        // -> t=-1.8973665961010275, df=5.882352941176471, p=0.10753119493062728
        let r = welch_t_test(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 4.0, 6.0, 8.0, 10.0]);
        assert!((r.t + 1.8973665961010275).abs() < 1e-12);
        assert!((r.df - 5.882352941176471).abs() < 1e-12);
        assert!((r.p_value - 0.10753119493062728).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn degenerate_inputs_are_finite() {
        assert_eq!(welch_t_test(&[1.0], &[2.0, 3.0]).p_value, 1.0);
        assert_eq!(welch_t_test(&[2.0, 2.0], &[2.0, 2.0]).p_value, 1.0);
        let certain = welch_t_test(&[1.0, 1.0], &[2.0, 2.0]);
        assert_eq!(certain.p_value, 0.0);
        assert!(certain.t.is_finite() && certain.t < 0.0);
    }
}
