//! `teamtune analyze` and `teamtune suggest` reports.

use super::{BOLD, DIM, GREEN, RED, RESET, YELLOW, banner, bar, severity_colour};

pub fn print_analysis(r: &teamtune::AnalysisReport) {
    banner(&format!(
        "teamtune analyze: team {} ({})",
        r.team_id,
        crate::render::count(r.runs as u64, "run", "runs")
    ));
    outln!("{DIM}read: {}{RESET}", r.scope.describe());
    outln!("{DIM}baselines: {}{RESET}", r.baselines.describe());
    if r.insights.is_empty() {
        outln!("No bottlenecks found.");
        return;
    }
    for (i, ins) in r.insights.iter().enumerate() {
        let c = severity_colour(ins.severity);
        outln!(
            "{:>2}. {BOLD}{}{RESET}  {c}{} {:.2}/1.0{RESET}",
            i + 1,
            ins.bottleneck,
            bar(ins.severity),
            ins.severity
        );
        outln!(
            "    current {} vs baseline {}  {DIM}(impact {:.2}; {}){RESET}",
            num(ins.current_value),
            num(ins.baseline_value),
            ins.impact_magnitude,
            ins.affected_components.join(", ")
        );
        outln!("    {}", ins.recommendation);
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

pub fn print_suggestions(r: &teamtune::SuggestionReport) {
    banner(&format!(
        "teamtune suggest: team {} ({})",
        r.team_id,
        crate::render::count(r.runs as u64, "run", "runs")
    ));
    outln!("{DIM}read: {}{RESET}", r.scope.describe());
    if r.suggestions.is_empty() {
        outln!("No suggestions: nothing in the history points at a better configuration.");
        return;
    }
    for (i, s) in r.suggestions.iter().enumerate() {
        print_suggestion(i + 1, s);
    }
}

/// A priority as every human report spells it: `CRITICAL`, `HIGH`, `MEDIUM`, `LOW` (the
/// JSON has the lower-case names).
pub(crate) fn priority_label(p: teamtune::Priority) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_uppercase))
        .unwrap_or_default()
}

pub fn print_suggestion(n: usize, s: &teamtune::Suggestion) {
    let p = priority_label(s.priority);
    let c = match p.as_str() {
        "CRITICAL" => RED,
        "HIGH" => YELLOW,
        _ => GREEN,
    };
    outln!(
        "{n:>2}. {c}[{p}]{RESET} {BOLD}{}{RESET}  {DIM}id {}{RESET}",
        s.kind.as_str(),
        s.id
    );
    outln!("    {}", s.description);
    let how = s
        .metadata
        .get("estimate")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    outln!(
        "    expected improvement {:.1}%  confidence {:.2}  risk {:.2}  {DIM}{}{RESET}",
        s.expected_improvement,
        s.confidence,
        s.risk_level,
        if how.is_empty() {
            String::new()
        } else {
            format!("(estimate: {how})")
        }
    );
    for line in changes(&s.current_config, &s.suggested_config) {
        outln!("    {line}");
    }
}

/// `key: old -> new` lines, members compared by id.
pub fn changes(
    current: &serde_json::Map<String, serde_json::Value>,
    suggested: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    let mut out = Vec::new();
    let show = |v: Option<&serde_json::Value>| {
        v.map_or("(unset)".to_string(), |v| {
            v.to_string().trim_matches('"').to_string()
        })
    };
    for (k, new) in suggested {
        if k == "members" {
            let ids = |v: Option<&serde_json::Value>| -> Vec<(String, serde_json::Value)> {
                v.and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .map(|m| (m["id"].as_str().unwrap_or("").to_string(), m.clone()))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let old = ids(current.get("members"));
            let new = ids(Some(new));
            for (id, _) in old
                .iter()
                .filter(|(id, _)| !new.iter().any(|(n, _)| n == id))
            {
                out.push(format!("members: - {id}"));
            }
            for (id, m) in &new {
                match old.iter().find(|(o, _)| o == id) {
                    None => out.push(format!("members: + {id}")),
                    Some((_, om)) => {
                        for key in ["tool_budget", "timeout_seconds", "is_manager"] {
                            if om.get(key) != m.get(key) {
                                out.push(format!(
                                    "members.{id}.{key}: {} -> {}",
                                    show(om.get(key)),
                                    show(m.get(key))
                                ));
                            }
                        }
                    }
                }
            }
            if old.len() != new.len() {
                out.push(format!("member count: {} -> {}", old.len(), new.len()));
            }
        } else if current.get(k) != Some(new) {
            out.push(format!(
                "{k}: {} -> {}",
                show(current.get(k)),
                show(Some(new))
            ));
        }
    }
    out
}
