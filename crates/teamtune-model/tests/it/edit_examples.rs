//! `apply_team_config` on the shipped examples and on hand-written shapes: each change kind,
//! asserting the exact lines that changed and that everything else is byte for byte intact.

use std::path::Path;

use teamtune_model::{EditError, Formation, MemberConfig, TeamConfig, apply_team_config, load_str};

use crate::{example, line_diff, team_config};

fn apply(src: &str, team: &str, f: impl FnOnce(&mut TeamConfig)) -> Result<String, EditError> {
    let mut c = team_config(src, team);
    f(&mut c);
    let out = apply_team_config(src, Path::new("t.yaml"), team, &c)?;
    assert_eq!(team_config(&out, team), c);
    Ok(out)
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn code_review_team_level_keys() {
    let (_, src) = example("code-review.yaml");
    let out = apply(&src, "review_team", |c| {
        c.team_formation = Formation::Sequential;
        c.timeout_seconds = Some(450.5);
        c.total_tool_budget = None;
        c.max_iterations = 5;
    })
    .unwrap();
    let (removed, added) = line_diff(&src, &out);
    assert_eq!(
        removed,
        lines(&[
            "        team_formation: parallel",
            "        timeout_seconds: 300",
            "        total_tool_budget: 60"
        ])
    );
    assert_eq!(
        added,
        lines(&[
            "        team_formation: sequential",
            "        max_iterations: 5",
            "        timeout_seconds: 450.5"
        ])
    );
}

#[test]
fn code_review_members_block_style() {
    let (_, src) = example("code-review.yaml");
    let out = apply(&src, "review_team", |c| {
        c.members[0].tool_budget = Some(9);
        c.members[1].timeout_seconds = Some(60.0);
        c.members[2].tool_budget = None;
        c.members[2].is_manager = true;
    })
    .unwrap();
    let (removed, added) = line_diff(&src, &out);
    assert_eq!(
        removed,
        lines(&["            tool_budget: 25", "            tool_budget: 25"])
    );
    assert_eq!(
        added,
        lines(&[
            "            tool_budget: 9",
            "            timeout_seconds: 60",
            "            is_manager: true"
        ])
    );
    // The comment inside the team's sim block and the header survive.
    assert!(
        out.contains(
            "work_calls: 24          # reads, greps and test runs the whole review needs\n"
        )
    );
    assert!(out.starts_with("# Code review: three reviewers"));
}

#[test]
fn code_review_shrink_and_grow() {
    let (_, src) = example("code-review.yaml");
    let out = apply(&src, "review_team", |c| {
        c.members.truncate(1);
    })
    .unwrap();
    let (removed, added) = line_diff(&src, &out);
    assert!(added.is_empty());
    assert_eq!(removed.len(), 10);
    assert!(!out.contains("logic_reviewer") && !out.contains("style_reviewer"));

    let out = apply(&src, "review_team", |c| {
        let mut m = c.members[2].clone();
        m.id = "style_reviewer_2".into();
        m.tool_budget = Some(5);
        c.members.push(m);
    })
    .unwrap();
    let (removed, added) = line_diff(&src, &out);
    assert!(removed.is_empty());
    assert_eq!(
        added,
        lines(&[
            "          - id: style_reviewer_2",
            "            role: reviewer",
            "            goal: \"Check naming, docs and style in {{ change }}\"",
            "            tool_budget: 5",
            "            tools: [read]",
        ])
    );
}

#[test]
fn research_flow_members() {
    let (_, src) = example("research-team.yaml");
    let out = apply(&src, "research_team", |c| {
        c.members[0].tool_budget = Some(30);
        c.members[1].timeout_seconds = Some(90.0);
        c.members[2].tool_budget = None;
        c.members[3].is_manager = true;
        c.members.truncate(6);
        let mut m = c.members[5].clone();
        m.id = "extra analyst".into();
        m.role = "writer".into();
        c.members.push(m);
    })
    .unwrap();
    let (removed, added) = line_diff(&src, &out);
    assert_eq!(removed.len(), 6, "{removed:#?}");
    assert_eq!(
        added,
        lines(&[
            "          - {id: lead_researcher, role: researcher, goal: \"Frame the question about ${topic}\", tool_budget: 30, tools: [web_search, read]}",
            "          - {id: literature, role: researcher, goal: \"Survey published work\", tool_budget: 20, timeout_seconds: 90, tools: [web_search]}",
            "          - {id: benchmarks, role: analyst, goal: \"Collect benchmark numbers\", tools: [web_search, read]}",
            "          - {id: practitioner, role: researcher, goal: \"Gather field reports\", tool_budget: 20, is_manager: true, tools: [web_search]}",
            "          - {id: \"extra analyst\", role: writer, goal: \"Draft the shared recommendation\", tool_budget: 20, tools: [read, write]}",
        ])
    );
}

#[test]
fn repo_stats_second_team_only() {
    let (_, src) = example("repo-stats.yaml");
    let before = load_str(Path::new("t.yaml"), &src).unwrap();
    let out = apply(&src, "report", |c| {
        c.team_formation = Formation::Pipeline;
        c.members[0].timeout_seconds = None;
        c.members[0].tool_budget = Some(3);
    })
    .unwrap();
    let after = load_str(Path::new("t.yaml"), &out).unwrap();
    let inspect =
        |f: &teamtune_model::WorkflowFile| format!("{:?}", f.find_team("inspect").unwrap().1);
    assert_eq!(inspect(&before), inspect(&after));
    let (removed, added) = line_diff(&src, &out);
    assert_eq!(
        removed,
        lines(&[
            "        team_formation: sequential",
            "            timeout_seconds: 10"
        ])
    );
    assert_eq!(
        added,
        lines(&[
            "        team_formation: pipeline",
            "            tool_budget: 3"
        ])
    );
}

#[test]
fn staged_pipeline_adds_a_key_to_a_flow_member_and_the_team() {
    let (_, src) = example("staged-pipeline.yaml");
    let out = apply(&src, "build_pipeline", |c| {
        c.total_tool_budget = Some(40);
        c.members[1].timeout_seconds = Some(0.25);
    })
    .unwrap();
    let (removed, added) = line_diff(&src, &out);
    assert_eq!(
        removed,
        lines(&[
            "          - {id: tester, role: tester, goal: \"Run the test suites\", tool_budget: 16}"
        ])
    );
    assert_eq!(
        added,
        lines(&[
            "        total_tool_budget: 40",
            "          - {id: tester, role: tester, goal: \"Run the test suites\", tool_budget: 16, timeout_seconds: 0.25}",
        ])
    );
}

const VICTOR_ROOT: &str = "\
# Victor style: the root is the map of workflows.
my_flow:
  nodes:
  - id: team
    type: team
    goal: |
      Do things.
      members: not a key
      # not a comment either
    members:
    - id: a
      role: r   # trailing
    - name: b
      role: r
";

#[test]
fn victor_root_compact_lists_and_block_scalars() {
    let out = apply(VICTOR_ROOT, "team", |c| {
        c.team_formation = Formation::Hierarchical;
        c.members[1].tool_budget = Some(4);
        c.members.push(MemberConfig {
            id: "c".into(),
            ..c.members[1].clone()
        });
    })
    .unwrap();
    let want = "\
# Victor style: the root is the map of workflows.
my_flow:
  nodes:
  - id: team
    type: team
    team_formation: hierarchical
    goal: |
      Do things.
      members: not a key
      # not a comment either
    members:
    - id: a
      role: r   # trailing
    - name: b
      role: r
      tool_budget: 4
    - name: b
      role: r
      id: c
      tool_budget: 4
";
    assert_eq!(out, want);
}

#[test]
fn formation_alias_crlf_and_no_final_newline() {
    let src = "workflows:\r\n  w:\r\n    nodes:\r\n      - id: t\r\n        type: team\r\n        formation: parallel\r\n        members:\r\n          - {id: a, role: r}";
    let out = apply(src, "t", |c| {
        c.team_formation = Formation::Consensus;
        c.timeout_seconds = Some(10.0);
        c.members.push(MemberConfig {
            id: "b".into(),
            ..c.members[0].clone()
        });
    })
    .unwrap();
    assert_eq!(
        out,
        "workflows:\r\n  w:\r\n    nodes:\r\n      - id: t\r\n        type: team\r\n        formation: consensus\r\n        timeout_seconds: 10\r\n        members:\r\n          - {id: a, role: r}\r\n          - {id: b, role: r}"
    );
}

#[test]
fn quoted_and_anchored_values_keep_their_anchor() {
    let src = "\
workflows:
  w:
    nodes:
      - id: t
        type: team
        timeout_seconds: &limit 300
        members:
          - {id: \"a\", role: 'r', tool_budget: !!int 5}
        next: [u]
      - id: u
        type: team
        timeout_seconds: *limit
        members:
          - {id: b}
";
    let err = apply(src, "t", |c| c.timeout_seconds = Some(200.0)).unwrap_err();
    match err {
        EditError::UnintendedChange { team, path } => {
            assert_eq!(team, "t");
            assert_eq!(path, "workflows.w.nodes[1].timeout_seconds");
        }
        other => panic!("expected UnintendedChange, got {other}"),
    }
    let out = apply(src, "t", |c| c.members[0].tool_budget = Some(6)).unwrap();
    assert!(
        out.contains("{id: \"a\", role: 'r', tool_budget: !!int 6}"),
        "{out}"
    );
}

#[test]
fn errors_are_typed_and_named() {
    let (_, src) = example("code-review.yaml");
    let path = Path::new("t.yaml");
    let c = team_config(&src, "review_team");
    let e = apply_team_config(&src, path, "no_such_team", &c).unwrap_err();
    assert!(
        matches!(&e, EditError::TeamNotFound { team, available } if team == "no_such_team" && available == "review_team")
    );
    assert!(e.to_string().contains("no_such_team"));

    let mut bad = c.clone();
    bad.members[1].id = "ghost".into();
    let e = apply_team_config(&src, path, "review_team", &bad).unwrap_err();
    assert!(
        matches!(&e, EditError::MemberNotFound { member, .. } if member == "ghost"),
        "{e}"
    );
    assert!(e.to_string().contains("ghost") && e.to_string().contains("review_team"));

    let mut dup = c.clone();
    dup.members.push(dup.members[0].clone());
    let e = apply_team_config(&src, path, "review_team", &dup).unwrap_err();
    assert!(matches!(e, EditError::DuplicateMember { .. }));

    let mut zero = c.clone();
    zero.max_iterations = 0;
    assert!(matches!(
        apply_team_config(&src, path, "review_team", &zero),
        Err(EditError::InvalidValue {
            key: "max_iterations",
            ..
        })
    ));

    let e = apply_team_config("not: [valid", path, "x", &c).unwrap_err();
    assert!(matches!(e, EditError::Load { .. }));

    let flow_node =
        "workflows:\n  w:\n    nodes:\n      - {id: t, type: team, members: [{id: a}]}\n";
    let mut fc = team_config(flow_node, "t");
    fc.max_iterations = 4;
    let e = apply_team_config(flow_node, path, "t", &fc).unwrap_err();
    assert!(matches!(e, EditError::Unsupported { .. }), "{e}");

    let two = "a:\n  nodes:\n    - {id: x}\n    - id: t\n      type: team\n      members: [{id: m}]\n\
               b:\n  nodes:\n    - id: t\n      type: team\n      members: [{id: m}]\n";
    let tc = team_config(two, "t");
    assert!(matches!(
        apply_team_config(two, path, "t", &tc),
        Err(EditError::AmbiguousTeam { .. })
    ));
}

#[test]
fn flow_members_list_is_refused_only_when_members_change() {
    let src = "workflows:\n  w:\n    nodes:\n      - id: t\n        type: team\n        members: [{id: a}, {id: b}]\n";
    let out = apply(src, "t", |c| c.team_formation = Formation::Parallel).unwrap();
    assert!(out.contains("        type: team\n        team_formation: parallel\n"));
    let mut c = team_config(src, "t");
    c.members.pop();
    let e = apply_team_config(src, Path::new("t.yaml"), "t", &c).unwrap_err();
    assert!(
        matches!(&e, EditError::Unsupported { key, .. } if key == "members"),
        "{e}"
    );
}

#[test]
fn a_grown_pool_clones_a_worker_not_the_specialist_listed_last() {
    let src = "workflows:\n  w:\n    nodes:\n      - id: t\n        type: team\n        team_formation: parallel\n        members:\n          - id: worker_1\n            role: worker\n            tool_budget: 5\n          - id: worker_2\n            role: worker\n            tool_budget: 5\n          - id: lead\n            role: security_reviewer  # distinct goal\n            tool_budget: 9\n";
    let path = std::path::Path::new("t.yaml");
    let file = teamtune_model::load_str(path, src).unwrap();
    let team = file.find_team("t").unwrap().1;
    let mut cfg = teamtune_model::TeamConfig::of(team);
    let mut new = cfg.members[0].clone();
    new.id = "worker_3".into();
    cfg.members.push(new);
    let out = teamtune_model::apply_team_config(src, path, "t", &cfg).unwrap();
    let edited = teamtune_model::load_str(path, &out).unwrap();
    let t = edited.find_team("t").unwrap().1;
    let ids: Vec<&str> = t.members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["worker_1", "worker_2", "lead", "worker_3"]);
    assert_eq!(t.members[3].role, "worker");
    assert_eq!(t.members[3].tool_budget, Some(5));
    let wf = file
        .find_team("t")
        .unwrap()
        .0
        .with_team_config("t", &cfg)
        .unwrap();
    let grown = wf.team("t").unwrap();
    assert_eq!(grown.members[3].role, "worker");
}
