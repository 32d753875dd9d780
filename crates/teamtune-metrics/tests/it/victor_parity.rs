//! The five Victor detectors must return what the Python reference returns on its fixture.

use std::path::Path;

use teamtune_analysis::{Baselines, analyze};
use teamtune_metrics::read_metrics_file;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn matches_reference_insights() {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("victor-fixture-expected-insights.json")).unwrap(),
    )
    .unwrap();
    for (team, want) in expected["teams"].as_object().unwrap() {
        let records =
            read_metrics_file(&fixture("victor-fixture-metrics.json"), Some(team)).unwrap();
        let got = analyze(&records, &Baselines::default());
        let want = want.as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{team}: {got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.bottleneck, w["bottleneck"].as_str().unwrap(), "{team}");
            for (name, value) in [
                ("severity", g.severity),
                ("current_value", g.current_value),
                ("baseline_value", g.baseline_value),
                ("impact_magnitude", g.impact_magnitude),
            ] {
                let w = w[name].as_f64().unwrap();
                assert!(
                    (value - w).abs() <= 1e-6,
                    "{team} {} {name}: {value} vs {w}",
                    g.bottleneck
                );
            }
        }
    }
}

#[test]
fn insight_serializes_to_victor_keys() {
    let records =
        read_metrics_file(&fixture("victor-fixture-metrics.json"), Some("test_team")).unwrap();
    let got = analyze(&records, &Baselines::default());
    let v = serde_json::to_value(&got[0]).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "affected_components",
            "baseline_value",
            "bottleneck",
            "current_value",
            "impact_magnitude",
            "recommendation",
            "severity"
        ]
    );
    assert_eq!(
        got[0].recommendation,
        "Average execution time (86.2s) is 187.5% above baseline. Consider optimizing formation or reducing team size."
    );
}
