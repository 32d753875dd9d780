//! Welch and Mann-Whitney agree with scipy to 1e-6 relative on the committed reference cases
//! (tests/fixtures/scipy_reference.json, produced by scipy_reference.py); p-values stay in
//! [0, 1] for any input.

use std::path::Path;

use proptest::prelude::*;
use teamtune_analysis::compare;
use teamtune_analysis::stats::bootstrap::bootstrap_with;
use teamtune_analysis::stats::mann_whitney::mann_whitney_u;
use teamtune_analysis::stats::welch::welch_t_test;

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-6 * want.abs().max(1e-300) || (got - want).abs() <= 1e-12
}

#[test]
fn agrees_with_scipy() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scipy_reference.json");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let sample = |k: &str| -> Vec<f64> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let (a, b) = (sample("a"), sample("b"));
        let w = welch_t_test(&a, &b);
        let m = mann_whitney_u(&a, &b);
        for (what, got, want) in [
            ("welch.t", w.t, &case["welch"]["t"]),
            ("welch.df", w.df, &case["welch"]["df"]),
            ("welch.p_value", w.p_value, &case["welch"]["p_value"]),
            ("mann_whitney.u", m.u, &case["mann_whitney"]["u"]),
            (
                "mann_whitney.p_value",
                m.p_value,
                &case["mann_whitney"]["p_value"],
            ),
        ] {
            let want = want.as_f64().unwrap();
            assert!(close(got, want), "{name} {what}: {got} vs scipy {want}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn p_values_are_probabilities(
        a in proptest::collection::vec(0.0f64..1e6, 0..30),
        b in proptest::collection::vec(0.0f64..1e6, 0..30),
    ) {
        let w = welch_t_test(&a, &b);
        let m = mann_whitney_u(&a, &b);
        prop_assert!((0.0..=1.0).contains(&w.p_value));
        prop_assert!((0.0..=1.0).contains(&m.p_value));
        prop_assert!(w.t.is_finite() && w.df.is_finite());
        let ci = bootstrap_with(&a, &b, 3, 200, 0.95);
        prop_assert!(ci.ci_low.is_finite() && ci.ci_high.is_finite());
        prop_assert!(ci.ci_low <= ci.ci_high);
    }

    #[test]
    fn small_integer_samples_with_ties(
        a in proptest::collection::vec(0u8..4, 0..8),
        b in proptest::collection::vec(0u8..4, 0..8),
    ) {
        let a: Vec<f64> = a.into_iter().map(f64::from).collect();
        let b: Vec<f64> = b.into_iter().map(f64::from).collect();
        let c = compare(&a, &b, 1);
        prop_assert!((0.0..=1.0).contains(&c.welch.p_value));
        prop_assert!((0.0..=1.0).contains(&c.mann_whitney.p_value));
        prop_assert!(serde_json::to_string(&c).is_ok());
    }
}
