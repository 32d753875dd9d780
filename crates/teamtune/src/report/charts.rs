//! The report's charts, each a function from the report's data to one SVG. Series differ by
//! dash pattern, marker shape and hatching and carry text labels, so none needs colour.

use std::fmt::Write;

use super::data::{AbTest, ConfigRuns, MemberRow, Predicted, ReportData, short};
use super::svg::{
    DASHES, Glyph, MARKERS, Plot, WIDTH, esc, fmt_tick, legend, marker_at, range, wrap,
};

/// Duration ECDF of each configuration: the share of runs that took at most x seconds.
pub fn duration_ecdf(configs: &[ConfigRuns]) -> String {
    let all = configs.iter().flat_map(|c| c.durations.iter().copied());
    let (lo, hi) = range(all);
    let mut plot = Plot::new(
        "Duration distribution per configuration (ECDF)",
        320.0,
        (lo.min(0.0), hi),
        (0.0, 1.0),
        5,
    );
    plot.axes("duration (s)", "share of runs", |v| {
        format!("{:.0}%", v * 100.0)
    });
    let mut items = Vec::new();
    for (i, c) in configs.iter().enumerate() {
        let mut sorted = c.durations.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let mut points = Vec::with_capacity(sorted.len() * 2);
        for (k, d) in sorted.iter().enumerate() {
            points.push((*d, k as f64 / n));
            points.push((*d, (k + 1) as f64 / n));
        }
        let (dash, marker) = (DASHES[i % DASHES.len()], MARKERS[i % MARKERS.len()]);
        plot.line(&points, dash, "series");
        if let Some(&(x, y)) = points.last() {
            plot.marker(x, y, marker, "series-end");
        }
        items.push((
            Glyph::LineAndMarker(dash, marker),
            format!("{} (n={})", c.label, c.durations.len()),
        ));
    }
    plot.finish() + &legend(&items)
}

/// Success rate over the last `window` runs, at each run in recording order.
pub fn success_over_time(outcomes: &[bool], window: usize) -> String {
    let n = outcomes.len();
    let mut plot = Plot::new(
        "Success rate over time",
        240.0,
        (1.0, n.max(2) as f64),
        (0.0, 1.0),
        5,
    );
    plot.axes(
        "run (recording order)",
        &format!("success, last {window}"),
        |v| format!("{:.0}%", v * 100.0),
    );
    let points: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let from = (i + 1).saturating_sub(window);
            let w = &outcomes[from..=i];
            (
                (i + 1) as f64,
                w.iter().filter(|s| **s).count() as f64 / w.len() as f64,
            )
        })
        .collect();
    plot.line(&points, "", "series");
    for (i, ok) in outcomes.iter().enumerate() {
        if !ok {
            plot.marker((i + 1) as f64, 0.0, MARKERS[3], "failure");
        }
    }
    plot.finish()
        + &legend(&[
            (
                Glyph::Line(""),
                format!("success rate of the last {window} runs"),
            ),
            (Glyph::Marker(MARKERS[3]), "a failed run".into()),
        ])
}

/// Tool calls of each run, in recording order.
pub fn tool_calls_over_time(calls: &[u64]) -> String {
    let n = calls.len();
    let (_, hi) = range(calls.iter().map(|c| *c as f64));
    let mut plot = Plot::new(
        "Tool calls over time",
        240.0,
        (1.0, n.max(2) as f64),
        (0.0, hi.max(1.0)),
        5,
    );
    plot.axes("run (recording order)", "tool calls", fmt_tick);
    for (i, c) in calls.iter().enumerate() {
        plot.marker((i + 1) as f64, *c as f64, MARKERS[0], "point");
    }
    plot.finish() + &legend(&[(Glyph::Marker(MARKERS[0]), "one run".into())])
}

/// Every tried change: its improvement in mean duration with the bootstrap 95% interval,
/// numbered as in the table under it.
pub fn forest(tests: &[AbTest]) -> String {
    let row = 34.0;
    let height = 90.0 + row * tests.len() as f64;
    let (lo, hi) = range(
        tests
            .iter()
            .flat_map(|t| [t.ci_low, t.ci_high, t.improvement, 0.0]),
    );
    let mut plot = Plot::new(
        "Tried changes: improvement with 95% interval",
        height,
        (lo, hi),
        (0.0, tests.len() as f64),
        5,
    );
    plot.axes(
        "improvement in mean duration (%), right is faster",
        "",
        |_| String::new(),
    );
    let (zx, top, bottom) = (plot.sx(0.0), plot.sy(tests.len() as f64), plot.sy(0.0));
    let _ = write!(
        plot.out,
        r##"<line x1="{zx:.1}" y1="{top:.1}" x2="{zx:.1}" y2="{bottom:.1}" stroke="#222" stroke-dasharray="4 3"/>"##
    );
    for (i, t) in tests.iter().enumerate() {
        let y = tests.len() as f64 - i as f64 - 0.5;
        let py = plot.sy(y);
        let (a, b) = (plot.sx(t.ci_low), plot.sx(t.ci_high));
        let _ = write!(
            plot.out,
            r##"<g class="ab-test"><line x1="{a:.1}" y1="{py:.1}" x2="{b:.1}" y2="{py:.1}" stroke="#111" stroke-width="2"/><line x1="{a:.1}" y1="{:.1}" x2="{a:.1}" y2="{:.1}" stroke="#111"/><line x1="{b:.1}" y1="{:.1}" x2="{b:.1}" y2="{:.1}" stroke="#111"/>"##,
            py - 5.0,
            py + 5.0,
            py - 5.0,
            py + 5.0
        );
        let marker = if t.kept { MARKERS[1] } else { MARKERS[0] };
        let ex = plot.sx(t.improvement);
        marker_at(&mut plot.out, ex, py, marker, "estimate");
        plot.out.push_str("</g>");
        let x0 = plot.sx(plot.x_range().0);
        plot.text(x0 - 8.0, py + 4.0, "end", &format!("#{}", i + 1));
    }
    let mut table = String::from(
        "<table><tr><th>#</th><th>candidate</th><th>runs per side</th><th>improvement</th><th>95% interval</th><th>outcome</th></tr>",
    );
    for (i, t) in tests.iter().enumerate() {
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{} / {}</td><td>{:+.1}%</td><td>[{:+.1}, {:+.1}]</td><td>{}</td></tr>",
            i + 1,
            esc(&short(t.candidate_hash.as_deref())),
            t.runs_per_side.0,
            t.runs_per_side.1,
            t.improvement,
            t.ci_low,
            t.ci_high,
            esc(&t.status)
        );
    }
    table.push_str("</table>");
    plot.finish()
        + &legend(&[
            (Glyph::Marker(MARKERS[1]), "kept: the change stayed".into()),
            (Glyph::Marker(MARKERS[0]), "not kept".into()),
            (Glyph::Line("4 3"), "no change".into()),
        ])
        + &table
}

/// The change history, oldest first: one entry per row with its status; long descriptions
/// wrap onto further lines.
pub fn timeline(entries: &[(String, String, String)]) -> String {
    let line_height = 16.0;
    let gap = 10.0;
    let text_x = 34.0;
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|(when, what, status)| {
            wrap(&format!("{status} {when} — {what}"), WIDTH - text_x - 8.0)
        })
        .collect();
    let height = 20.0
        + rows
            .iter()
            .map(|r| r.len() as f64 * line_height + gap)
            .sum::<f64>();
    let mut out = format!(
        r#"<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Change history" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        out,
        r##"<line x1="20" y1="10" x2="20" y2="{:.1}" stroke="#222" stroke-width="2"/>"##,
        height - 10.0
    );
    let mut y = 20.0;
    for ((_, _, status), lines) in entries.iter().zip(&rows) {
        let marker = match status.as_str() {
            "rolled_back" => MARKERS[3],
            "kept" | "verified" => MARKERS[1],
            _ => MARKERS[0],
        };
        marker_at(&mut out, 20.0, y, marker, "entry");
        let _ = write!(out, r#"<text y="{:.1}" font-size="12">"#, y + 4.0);
        for (k, line) in lines.iter().enumerate() {
            let text = if k == 0 {
                // The status in bold: it is the first word of the first line.
                let (first, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
                format!(
                    r#"<tspan font-weight="bold">{}</tspan> {}"#,
                    esc(first),
                    esc(rest)
                )
            } else {
                esc(line)
            };
            let _ = write!(
                out,
                r#"<tspan x="{text_x}" dy="{}">{text}</tspan>"#,
                if k == 0 { 0.0 } else { line_height }
            );
        }
        out.push_str("</text>");
        y += lines.len() as f64 * line_height + gap;
    }
    out.push_str("</svg>");
    out + &legend(&[
        (Glyph::Marker(MARKERS[1]), "kept or verified".into()),
        (Glyph::Marker(MARKERS[3]), "rolled back".into()),
        (Glyph::Marker(MARKERS[0]), "any other status".into()),
    ])
}

/// Each member's mean time per run and how often it failed: a hatched bar for the time, a
/// dotted bar for the share of its runs that failed, the figures on the line under them.
pub fn members(rows: &[MemberRow]) -> String {
    let row = 56.0;
    let height = 16.0 + row * rows.len() as f64;
    let (_, hi) = range(rows.iter().map(|r| r.mean_seconds));
    let mut out = format!(
        r#"<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Per-member breakdown" xmlns="http://www.w3.org/2000/svg">"#
    );
    let left = 170.0;
    let span = WIDTH - left - 24.0;
    for (i, r) in rows.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let w = if hi > 0.0 {
            r.mean_seconds / hi * span
        } else {
            0.0
        };
        let fw = r.failure_rate * span;
        let name = wrap(&r.member_id, left - 16.0);
        let _ = write!(
            out,
            r##"<g class="member"><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12">{}</text><rect x="{left}" y="{y:.1}" width="{w:.1}" height="14" fill="url(#hatch)" stroke="#111"/><rect x="{left}" y="{:.1}" width="{fw:.1}" height="10" fill="url(#dots)" stroke="#111"/><text x="{left}" y="{:.1}" font-size="12">{:.2}s/run, {:.1} tool calls, {:.0}% failed, {}</text></g>"##,
            left - 8.0,
            y + 14.0,
            esc(&name[0]),
            y + 16.0,
            y + 40.0,
            r.mean_seconds,
            r.mean_tool_calls,
            r.failure_rate * 100.0,
            r.tokens.map_or_else(
                || "tokens not reported".to_string(),
                |t| format!("{t:.0} tokens/run")
            )
        );
    }
    out.push_str("</svg>");
    out + &legend(&[
        (Glyph::Fill("hatch"), "mean time per run".into()),
        (Glyph::Fill("dots"), "share of runs failed".into()),
    ])
}

/// The twin's predicted mean duration of each configuration beside the observed one.
pub fn predicted_vs_observed(rows: &[Predicted]) -> String {
    let (_, hi) = range(
        rows.iter()
            .flat_map(|r| [r.observed_mean, r.predicted_mean]),
    );
    let mut plot = Plot::new(
        "Twin: predicted against observed mean duration",
        320.0,
        (0.0, hi * 1.1),
        (0.0, hi * 1.1),
        5,
    );
    plot.axes("observed mean duration (s)", "predicted (s)", fmt_tick);
    let top = plot.x_range().1.min(plot.y_range().1);
    plot.line(&[(0.0, 0.0), (top, top)], "4 4", "diagonal");
    let mut items = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let marker = MARKERS[i % MARKERS.len()];
        plot.marker(r.observed_mean, r.predicted_mean, marker, "config");
        items.push((
            Glyph::Marker(marker),
            format!(
                "{}: observed {:.2}s, predicted {:.2}s",
                r.label, r.observed_mean, r.predicted_mean
            ),
        ));
    }
    items.push((Glyph::Line("4 4"), "exact prediction".into()));
    plot.finish() + &legend(&items)
}

/// Every chart of the report, in order, as (id, title, svg or why there is none).
pub fn all(data: &ReportData) -> Vec<(&'static str, &'static str, Result<String, String>)> {
    let outcomes: Vec<bool> = data.runs.iter().map(|r| r.success).collect();
    let calls: Vec<u64> = data.runs.iter().map(|r| r.total_tool_calls).collect();
    let some = |ok: bool, svg: String, why: &str| if ok { Ok(svg) } else { Err(why.to_string()) };
    vec![
        (
            "durations",
            "Duration distribution of each configuration",
            Ok(duration_ecdf(&data.configs)),
        ),
        (
            "success",
            "Success rate over time",
            Ok(success_over_time(&outcomes, 10)),
        ),
        (
            "tool-calls",
            "Tool calls over time",
            Ok(tool_calls_over_time(&calls)),
        ),
        (
            "ab-tests",
            "Tried changes and their A/B results",
            some(
                !data.tests.is_empty(),
                forest(&data.tests),
                "No A/B test has been run for this team (`teamtune apply`).",
            ),
        ),
        (
            "history",
            "Change history",
            some(
                !data.history.is_empty(),
                timeline(&data.history),
                "No change has been applied or rolled back.",
            ),
        ),
        (
            "members",
            "Per-member breakdown",
            Ok(members(&data.members)),
        ),
        (
            "twin",
            "Predicted against observed",
            match &data.predicted {
                Ok(rows) => Ok(predicted_vs_observed(rows)),
                Err(why) => Err(why.clone()),
            },
        ),
    ]
}
