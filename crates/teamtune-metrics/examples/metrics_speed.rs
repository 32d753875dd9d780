//! Measures reading and analyzing a large metrics file (default 1,000,000 records).
//!
//! `cargo run --release -p teamtune-metrics --example metrics_speed -- [RECORDS] [FILE]`
//! writes a Victor-shaped JSON array to FILE (default in the temp dir) unless it exists, then
//! prints how long streaming it, summarizing and analyzing took.

#![allow(clippy::print_stdout)]

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use teamtune_analysis::{Baselines, analyze};
use teamtune_metrics::read_metrics_file;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let records: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let path = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("teamtune-metrics-{records}.json")));
    if !path.exists() {
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        out.write_all(b"[\n")?;
        for i in 0..records {
            let sep = if i + 1 == records { "" } else { "," };
            writeln!(
                out,
                r#"{{"team_id": "team_{}", "formation": "sequential", "member_count": 5, "success": {}, "duration_seconds": {}.{}, "total_tool_calls": {}, "start_time": "2025-01-15T10:00:00Z"}}{sep}"#,
                i % 4,
                i % 17 != 0,
                40 + i % 90,
                i % 10,
                10 + i % 30
            )?;
        }
        out.write_all(b"]\n")?;
        out.flush()?;
    }
    let size = std::fs::metadata(&path)?.len();
    let started = Instant::now();
    let all = read_metrics_file(&path, None).map_err(std::io::Error::other)?;
    let read_all = started.elapsed();
    let started = Instant::now();
    let one = read_metrics_file(&path, Some("team_1")).map_err(std::io::Error::other)?;
    let insights = analyze(&one, &Baselines::default());
    let analyze_one = started.elapsed();
    println!(
        "{} records, {:.1} MB: read all in {:.3} s ({:.0} MB/s); read + analyze one team ({} runs, {} insights) in {:.3} s",
        all.len(),
        size as f64 / 1e6,
        read_all.as_secs_f64(),
        size as f64 / 1e6 / read_all.as_secs_f64(),
        one.len(),
        insights.len(),
        analyze_one.as_secs_f64()
    );
    Ok(())
}
