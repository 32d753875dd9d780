//! `teamtune compare A.json B.json`: the A/B statistics on two samples.

use std::path::Path;

use teamtune::compare;

use crate::args::CompareArgs;
use crate::exit::{CliError, CliResult, Code};

fn sample(path: &Path) -> CliResult<Vec<f64>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let values: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| {
        CliError::input(format!(
            "{}:{}:{}: expected a JSON array of numbers: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                CliError::input(format!(
                    "{}: element {i} is {v}, not a finite number",
                    path.display()
                ))
            })
        })
        .collect::<CliResult<Vec<f64>>>()
        .and_then(|values| {
            if values.len() < 2 {
                Err(CliError::input(format!(
                    "{}: {} {}; comparing needs at least 2 in each sample",
                    path.display(),
                    values.len(),
                    if values.len() == 1 { "value" } else { "values" }
                )))
            } else {
                Ok(values)
            }
        })
}

pub fn run(args: &CompareArgs) -> CliResult {
    let a = sample(&args.a)?;
    let b = sample(&args.b)?;
    let c = compare(&a, &b, args.seed);
    if args.json.json {
        super::emit_json(&c, None, true)?;
        return Ok(Code::Done);
    }
    outln!(
        "A: n={} mean={:.4}    B: n={} mean={:.4}",
        c.n_a,
        c.mean_a,
        c.n_b,
        c.mean_b
    );
    outln!("improvement (A - B) / A: {:.2}%", c.improvement_percentage);
    outln!(
        "Welch t = {:.4}, df = {:.2}, p = {:.4}",
        c.welch.t,
        c.welch.df,
        c.welch.p_value
    );
    outln!(
        "Mann-Whitney U = {:.1}, p = {:.4}",
        c.mann_whitney.u,
        c.mann_whitney.p_value
    );
    outln!(
        "bootstrap {:.0}% CI of the improvement: [{:.2}%, {:.2}%]",
        c.bootstrap.confidence * 100.0,
        c.bootstrap.ci_low,
        c.bootstrap.ci_high
    );
    Ok(Code::Done)
}
