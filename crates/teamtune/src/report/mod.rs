//! `teamtune report`: one self-contained HTML file about a team (its durations per
//! configuration, success and tool calls over time, every A/B-tested change with its
//! interval, the change history, its members and, with the workflow file, the twin's
//! predictions against what was observed). The charts are inline SVG drawn here: the file
//! loads nothing when opened. `data.rs` gathers, `charts.rs` draws, `svg.rs` holds the
//! pieces they are drawn with.

mod charts;
mod data;
mod svg;

use std::fmt::Write;
use std::path::Path;

use teamtune_store::RunQuery;

use crate::autotuner::{Access, Autotuner, now};
use crate::error::Error;
use svg::esc;

/// The chart ids of the report, in page order (each is a `<figure data-chart="ID">`).
pub const REPORT_CHARTS: [&str; 7] = [
    "durations",
    "success",
    "tool-calls",
    "ab-tests",
    "history",
    "members",
    "twin",
];

impl Autotuner {
    /// The HTML report of team `team_id`. With `config` (the workflow file holding the team),
    /// the report compares the twin's predictions with the observed runs.
    pub fn report(&self, team_id: &str, config: Option<&Path>) -> Result<String, Error> {
        let (runs, history) = self.using_store(Access::Existing, |store| {
            Ok((
                store.team_runs(team_id, &RunQuery::new())?,
                store.history(team_id)?,
            ))
        })?;
        if runs.is_empty() {
            return Err(Error::NoRuns {
                team_id: team_id.to_string(),
                place: format!("the store {}", self.store_location()),
                known: Some(self.using_store(Access::Existing, |s| Ok(s.team_ids()?))?),
            });
        }
        let report = data::ReportData {
            team_id: team_id.to_string(),
            configs: data::configs(&runs),
            tests: data::ab_tests(&runs, &history),
            history: data::history_rows(&history),
            members: data::members(&runs),
            predicted: data::predictions(team_id, config, &runs, &history),
            runs,
        };
        Ok(page(&report))
    }
}

fn page(d: &data::ReportData) -> String {
    let ok = d.runs.iter().filter(|r| r.success).count();
    let mean = d.runs.iter().map(|r| r.duration_seconds).sum::<f64>() / d.runs.len() as f64;
    let mut html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>teamtune report: {team}</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; color: #111; background: #fff; max-width: 960px; margin: 0 auto; padding: 16px; }}
h1 {{ font-size: 1.5em; margin-bottom: 0; }} h2 {{ font-size: 1.15em; margin: 1.6em 0 .3em; }}
figure {{ margin: 0 0 1em; }} svg {{ width: 100%; height: auto; display: block; font-family: system-ui, sans-serif; }}
.meta {{ color: #444; }} .empty {{ font-style: italic; color: #444; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 2px 10px 2px 0; text-align: left; }}
figcaption ul.legend {{ list-style: none; padding: 0; margin: .2em 0 .6em; display: flex; flex-wrap: wrap; gap: .2em 1.4em; font-size: .9em; }}
svg.glyph {{ width: 40px; height: 12px; display: inline-block; vertical-align: middle; }}
</style></head><body>
{patterns}
<h1>Team <code>{team}</code></h1>
<p class="meta">{runs} runs, {ok} succeeded ({rate:.0}%), mean duration {mean:.2}s, {configs} configuration(s), {tests} A/B test(s), {entries} history entries. Made by teamtune at {now}.</p>
"#,
        team = esc(&d.team_id),
        patterns = svg::PATTERNS,
        runs = d.runs.len(),
        rate = ok as f64 / d.runs.len() as f64 * 100.0,
        configs = d.configs.len(),
        tests = d.tests.len(),
        entries = d.history.len(),
        now = esc(&now()),
    );
    for (id, title, chart) in charts::all(d) {
        let _ = write!(
            html,
            r#"<section><h2>{}</h2><figure data-chart="{id}">"#,
            esc(title)
        );
        match chart {
            Ok(svg) => html.push_str(&svg),
            Err(why) => {
                let _ = write!(html, r#"<p class="empty">{}</p>"#, esc(&why));
            }
        }
        html.push_str("</figure></section>\n");
    }
    html.push_str("</body></html>\n");
    html
}
