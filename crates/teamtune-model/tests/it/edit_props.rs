//! Property: for random changes to a generated team (formation, timeout, budgets, member
//! keys, dropped and appended members), edit -> re-parse gives exactly the intended
//! `TeamConfig`, and every byte outside the team node is unchanged.

use std::path::Path;

use proptest::prelude::*;
use teamtune_model::{Formation, MemberConfig, TeamConfig, apply_team_config, load_str};

use crate::team_config;

#[derive(Debug, Clone)]
struct GenMember {
    role: usize,
    budget: Option<u32>,
    timeout: Option<usize>,
    manager: bool,
    flow: bool,
    comment: bool,
}

#[derive(Debug, Clone)]
struct GenTeam {
    formation: Option<(usize, bool)>,
    max_iterations: Option<u32>,
    timeout: Option<usize>,
    budget: Option<u32>,
    compact: bool,
    block_goal: bool,
    members: Vec<GenMember>,
}

/// Per existing member: new `tool_budget`, new `timeout_seconds` (index), new `is_manager`;
/// `None` keeps the value.
type MemberChange = (Option<Option<u32>>, Option<Option<usize>>, Option<bool>);

#[derive(Debug, Clone)]
struct GenChange {
    formation: Option<usize>,
    timeout: Option<Option<usize>>,
    budget: Option<Option<u32>>,
    max_iterations: Option<u32>,
    keep: Vec<bool>,
    member_changes: Vec<MemberChange>,
    added: Vec<(bool, Option<u32>, Option<usize>, bool)>,
}

const ROLES: [&str; 3] = ["r", "critic", "tester"];
const TIMEOUTS: [f64; 4] = [5.0, 12.5, 60.0, 0.75];

fn member() -> impl Strategy<Value = GenMember> {
    (
        0..ROLES.len(),
        proptest::option::of(1u32..50),
        proptest::option::of(0..TIMEOUTS.len()),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(role, budget, timeout, manager, flow, comment)| GenMember {
                role,
                budget,
                timeout,
                manager,
                flow,
                comment,
            },
        )
}

fn team() -> impl Strategy<Value = GenTeam> {
    (
        proptest::option::of((0..5usize, any::<bool>())),
        proptest::option::of(1u32..9),
        proptest::option::of(0..TIMEOUTS.len()),
        proptest::option::of(1u32..200),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(member(), 1..6),
    )
        .prop_map(
            |(formation, max_iterations, timeout, budget, compact, block_goal, members)| GenTeam {
                formation,
                max_iterations,
                timeout,
                budget,
                compact,
                block_goal,
                members,
            },
        )
}

fn change() -> impl Strategy<Value = GenChange> {
    (
        proptest::option::of(0..5usize),
        proptest::option::of(proptest::option::of(0..TIMEOUTS.len())),
        proptest::option::of(proptest::option::of(1u32..300)),
        proptest::option::of(1u32..9),
        proptest::collection::vec(any::<bool>(), 6),
        proptest::collection::vec(
            (
                proptest::option::of(proptest::option::of(1u32..50)),
                proptest::option::of(proptest::option::of(0..TIMEOUTS.len())),
                proptest::option::of(any::<bool>()),
            ),
            6,
        ),
        proptest::collection::vec(
            (
                any::<bool>(),
                proptest::option::of(1u32..50),
                proptest::option::of(0..TIMEOUTS.len()),
                any::<bool>(),
            ),
            0..3,
        ),
    )
        .prop_map(
            |(formation, timeout, budget, max_iterations, keep, member_changes, added)| GenChange {
                formation,
                timeout,
                budget,
                max_iterations,
                keep,
                member_changes,
                added,
            },
        )
}

const HEAD: &str = "\
# Generated workflow file.
workflows:
  gen:
    description: \"generated\"   # a comment
    nodes:
      - id: before
        type: agent
        role: planner   # keep me
        goal: \"Plan\"
        tool_budget: 3
        next: [t]

";
const TAIL: &str = "        next: [after]

      # the end
      - id: after
        type: transform
        transform: |
          done = true
  other:
    nodes:
      - id: t2
        type: team
        members:
          - {id: z, role: r, tool_budget: 1}
";

fn render(t: &GenTeam) -> String {
    let mut s = String::from(HEAD);
    s.push_str("      - id: t   # the team\n        type: team\n");
    if t.block_goal {
        s.push_str("        goal: |\n          Work on it.\n          members: not a key\n\n          # not a comment\n");
    } else {
        s.push_str("        goal: \"Work on it\"\n");
    }
    if let Some((f, alias)) = t.formation {
        let key = if alias { "formation" } else { "team_formation" };
        s.push_str(&format!(
            "        {key}: {}   # chosen by hand\n",
            Formation::ALL[f].as_str()
        ));
    }
    if let Some(n) = t.max_iterations {
        s.push_str(&format!("        max_iterations: {n}\n"));
    }
    if let Some(i) = t.timeout {
        s.push_str(&format!("        timeout_seconds: {}\n", TIMEOUTS[i]));
    }
    s.push_str("        sim:\n          work_calls: 12   # total\n          think_s: {median: 2, p95: 4}\n");
    if let Some(b) = t.budget {
        s.push_str(&format!("        total_tool_budget: {b}\n"));
    }
    s.push_str("        # members follow\n        members:\n");
    let dash = if t.compact { "        " } else { "          " };
    for (i, m) in t.members.iter().enumerate() {
        if m.flow {
            let mut parts = vec![
                format!("id: m{i}"),
                format!("role: {}", ROLES[m.role]),
                "goal: \"g, with comma\"".into(),
            ];
            if let Some(b) = m.budget {
                parts.push(format!("tool_budget: {b}"));
            }
            if let Some(t) = m.timeout {
                parts.push(format!("timeout_seconds: {}", TIMEOUTS[t]));
            }
            if m.manager {
                parts.push("is_manager: true".into());
            }
            parts.push("tools: [read, 'it''s']".into());
            let comment = if m.comment { "  # flow member" } else { "" };
            s.push_str(&format!("{dash}- {{{}}}{comment}\n", parts.join(", ")));
        } else {
            let ind = format!("{dash}  ");
            s.push_str(&format!("{dash}- id: m{i}\n"));
            s.push_str(&format!(
                "{ind}role: {}{}\n",
                ROLES[m.role],
                if m.comment { "   # role note" } else { "" }
            ));
            if m.comment {
                s.push_str(&format!("{ind}# a note inside the member\n"));
            }
            if let Some(b) = m.budget {
                s.push_str(&format!("{ind}tool_budget: {b}\n"));
            }
            s.push_str(&format!("{ind}tools: [read]\n"));
            if let Some(t) = m.timeout {
                s.push_str(&format!("{ind}timeout_seconds: {}\n", TIMEOUTS[t]));
            }
            if m.manager {
                s.push_str(&format!("{ind}is_manager: true\n"));
            }
        }
    }
    s.push_str(TAIL);
    s
}

fn desired(old: &TeamConfig, c: &GenChange) -> TeamConfig {
    let mut new = old.clone();
    if let Some(f) = c.formation {
        new.team_formation = Formation::ALL[f];
    }
    if let Some(t) = c.timeout {
        new.timeout_seconds = t.map(|i| TIMEOUTS[i]);
    }
    if let Some(b) = c.budget {
        new.total_tool_budget = b;
    }
    if let Some(n) = c.max_iterations {
        new.max_iterations = n;
    }
    for (m, (b, t, mgr)) in new.members.iter_mut().zip(&c.member_changes) {
        if let Some(b) = b {
            m.tool_budget = *b;
        }
        if let Some(t) = t {
            m.timeout_seconds = t.map(|i| TIMEOUTS[i]);
        }
        if let Some(mgr) = mgr {
            m.is_manager = *mgr;
        }
    }
    let last_role = old.members[old.members.len() - 1].role.clone();
    let mut kept: Vec<MemberConfig> = new
        .members
        .iter()
        .zip(c.keep.iter().chain(std::iter::repeat(&true)))
        .filter(|(_, k)| **k)
        .map(|(m, _)| m.clone())
        .collect();
    for (i, (same_role, budget, timeout, manager)) in c.added.iter().enumerate() {
        kept.push(MemberConfig {
            id: format!("new_{i}"),
            role: if *same_role {
                last_role.clone()
            } else {
                "writer".to_string()
            },
            tool_budget: *budget,
            timeout_seconds: timeout.map(|t| TIMEOUTS[t]),
            is_manager: *manager,
        });
    }
    if kept.is_empty() {
        kept.push(new.members[0].clone());
    }
    new.members = kept;
    new
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn edit_then_reparse_changes_exactly_the_team(t in team(), c in change()) {
        let src = render(&t);
        let old = team_config(&src, "t");
        let new = desired(&old, &c);
        let out = apply_team_config(&src, Path::new("gen.yaml"), "t", &new)
            .map_err(|e| TestCaseError::fail(format!("{e}\n---\n{src}")))?;
        prop_assert_eq!(&team_config(&out, "t"), &new);

        // Every byte outside the team node is unchanged.
        let start = src.find("      - id: t   # the team\n").unwrap();
        let end = src.find(TAIL).unwrap();
        prop_assert!(out.starts_with(&src[..start]));
        prop_assert!(out.ends_with(&src[end..]));
        // So are the team's own comments and its untouched keys.
        for keep in ["# the team", "# members follow", "work_calls: 12   # total", "Work on it"] {
            prop_assert!(out.contains(keep), "lost {:?}\n{}", keep, out);
        }
        // The other nodes read the same.
        let a = load_str(Path::new("gen.yaml"), &src).unwrap();
        let b = load_str(Path::new("gen.yaml"), &out).unwrap();
        for (wa, wb) in a.workflows.values().zip(b.workflows.values()) {
            for (na, nb) in wa.nodes.iter().zip(&wb.nodes) {
                if na.id != "t" {
                    // Lines move when the team above grows or shrinks; nothing else may.
                    let (mut na, mut nb) = (na.clone(), nb.clone());
                    na.line = None;
                    nb.line = None;
                    prop_assert_eq!(format!("{na:?}"), format!("{nb:?}"));
                }
            }
        }
        // Applying the same config again changes nothing.
        prop_assert_eq!(apply_team_config(&out, Path::new("gen.yaml"), "t", &new).unwrap(), out);
    }
}
