//! Bad input exits 2 with one line naming the cause, before any measuring.

use crate::{bench, stderr, write};

fn assert_input_error(args: &[&str], needle: &str) {
    let out = bench(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert!(out.stdout.is_empty());
}

const TEAM: &str = "      - id: {ID}\n        type: team\n        team_formation: parallel\n        timeout_seconds: 60\n        members:\n          - {id: a, tool_budget: 5}\n";

#[test]
fn missing_file_no_team_several_teams_and_command_members_are_input_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let missing = d.join("nope.yaml");
    assert_input_error(
        &["tuning", missing.to_str().unwrap_or_default()],
        "nope.yaml",
    );

    let none = write(
        d,
        "none.yaml",
        "workflows:\n  w:\n    nodes:\n      - id: t\n        type: transform\n        transform: {x: 1}\n",
    );
    assert_input_error(
        &["tuning", none.to_str().unwrap_or_default()],
        "no team node",
    );

    let two = format!(
        "workflows:\n  w:\n    nodes:\n{}{}",
        TEAM.replace("{ID}", "one"),
        TEAM.replace("{ID}", "two")
    );
    let two = write(d, "two.yaml", &two);
    assert_input_error(&["tuning", two.to_str().unwrap_or_default()], "--team-id");
    assert_input_error(
        &[
            "tuning",
            "--team-id",
            "three",
            two.to_str().unwrap_or_default(),
        ],
        "no team node `three`",
    );

    let cmd = write(
        d,
        "cmd.yaml",
        "workflows:\n  w:\n    nodes:\n      - id: t\n        type: team\n        members:\n          - {id: a, command: [\"true\"]}\n",
    );
    assert_input_error(
        &["tuning", cmd.to_str().unwrap_or_default()],
        "not simulated",
    );

    let hang = write(
        d,
        "hang.yaml",
        "workflows:\n  w:\n    nodes:\n      - id: t\n        type: team\n        sim: {hang_rate: 0.1}\n        members:\n          - {id: a}\n",
    );
    assert_input_error(&["tuning", hang.to_str().unwrap_or_default()], "never end");

    let out = bench(&[
        "tuning",
        "--budget-grid",
        "x",
        none.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}
