//! Small contracts a new user runs into: samples too small to compare, a reader that stops
//! reading, counts in messages, a team id that two workflows share.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::{repo_root, stderr, stdout, teamtune, write};

#[test]
fn compare_needs_two_values_per_sample() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "e.json", "[]");
    write(dir.path(), "one.json", "[1]");
    write(dir.path(), "ok.json", "[1, 2, 3]");
    for (a, said) in [("e.json", "0 values"), ("one.json", "1 value;")] {
        let out = teamtune(dir.path(), &["compare", a, "ok.json"]);
        assert_eq!(out.status.code(), Some(2), "{a}");
        assert!(stderr(&out).contains(said), "{}", stderr(&out));
    }
    assert_eq!(
        teamtune(dir.path(), &["compare", "ok.json", "ok.json"])
            .status
            .code(),
        Some(0)
    );
}

/// `metrics export | head` gets what it read and teamtune exits 0, quietly.
#[test]
fn export_to_a_reader_that_goes_away_exits_0() {
    let root = repo_root();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("t.db");
    let s = store.to_str().unwrap();
    let out = teamtune(
        &root,
        &[
            "run",
            "examples/code-review.yaml",
            "--runs",
            "3000",
            "--seed",
            "1",
            "--store",
            s,
        ],
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_teamtune"))
        .args([
            "metrics",
            "export",
            "--team-id",
            "review_team",
            "--store",
            s,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's read end is dropped here: the export meets a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn counts_read_as_english() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "w.yaml",
        "workflows:\n  w:\n    nodes:\n      - id: only\n        type: transform\n        transform:\n          x: \"1\"\n",
    );
    let out = teamtune(dir.path(), &["validate", file.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("workflow w: 1 node, starts at only"),
        "{}",
        stdout(&out)
    );
    let out = teamtune(dir.path(), &["run", file.to_str().unwrap(), "--runs", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must be at least 1"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("18446744073709551615"));
}

/// Runs are recorded by team id: a file with the same team id in two workflows cannot say
/// which one `--team-id` means.
#[test]
fn a_team_id_in_two_workflows_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let team = "      - id: crew\n        type: team\n        team_formation: parallel\n        members:\n          - {id: a, role: worker, goal: one}\n";
    let file = write(
        dir.path(),
        "two.yaml",
        &format!("workflows:\n  first:\n    nodes:\n{team}  second:\n    nodes:\n{team}"),
    );
    let f = file.to_str().unwrap();
    let out = teamtune(
        dir.path(),
        &[
            "whatif",
            "--team-id",
            "crew",
            "--config",
            f,
            "--set",
            "team_formation=sequential",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("team `crew` is in several workflows (first, second)"),
        "{}",
        stderr(&out)
    );
}

/// Every argument of every command says what it is for in `--help`.
#[test]
fn every_help_argument_has_a_line_of_text() {
    fn bare_arguments(path: &[String], found: &mut Vec<String>) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = teamtune(&repo_root(), &args);
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        let mut section = "";
        let mut commands = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if line.ends_with(':') && !line.starts_with(' ') {
                section = line;
                continue;
            }
            let trimmed = line.trim();
            if section == "Commands:" {
                if let Some(name) = trimmed.split_whitespace().next()
                    && name != "help"
                {
                    commands.push(name.to_string());
                }
            } else if (section == "Options:" || section == "Arguments:")
                && line.len() - line.trim_start().len() < 10
                && (trimmed.starts_with('-') || trimmed.starts_with('<'))
            {
                // Help text follows on the same line after two spaces, or on the next,
                // indented further.
                let same_line = trimmed.split_once("  ").is_some();
                let next_line = lines
                    .get(i + 1)
                    .is_some_and(|n| n.starts_with("          ") && !n.trim().is_empty());
                if !same_line && !next_line {
                    found.push(format!("{}: {trimmed}", path.join(" ")));
                }
            }
        }
        for c in commands {
            let mut sub = path.to_vec();
            sub.push(c);
            bare_arguments(&sub, found);
        }
    }
    let mut found = Vec::new();
    bare_arguments(&[], &mut found);
    assert!(found.is_empty(), "arguments without help text: {found:#?}");
}
