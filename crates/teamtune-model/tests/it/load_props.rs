//! Property: the loader (and the editor on whatever loads) never panics, whatever the input.

use std::path::Path;

use proptest::prelude::*;
use teamtune_model::{Formation, MemberConfig, TeamConfig, apply_team_config, load_str};

use crate::example;

const EXAMPLES: [&str; 4] = [
    "code-review.yaml",
    "research-team.yaml",
    "repo-stats.yaml",
    "staged-pipeline.yaml",
];
const YAML_CHARS: &str = " \n\t-:#{}[],'\"|>&*!?%@`abcxyz019_.";

fn mutate(text: &str, ops: &[(usize, u8, usize)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let alphabet: Vec<char> = YAML_CHARS.chars().collect();
    for &(pos, op, c) in ops {
        let ch = alphabet[c % alphabet.len()];
        if chars.is_empty() {
            chars.push(ch);
            continue;
        }
        let p = pos % chars.len();
        match op % 3 {
            0 => chars.insert(p, ch),
            1 => {
                chars.remove(p);
            }
            _ => chars[p] = ch,
        }
    }
    chars.into_iter().collect()
}

/// A change to every kind of key, for exercising the editor on mutated files.
fn some_change(old: &TeamConfig) -> TeamConfig {
    let mut new = old.clone();
    new.team_formation = if old.team_formation == Formation::Parallel {
        Formation::Sequential
    } else {
        Formation::Parallel
    };
    new.timeout_seconds = Some(old.timeout_seconds.unwrap_or(10.0) + 1.5);
    new.total_tool_budget = None;
    new.max_iterations = old.max_iterations + 1;
    if new.members.len() > 1 {
        new.members.remove(0);
    }
    if let Some(m) = new.members.first_mut() {
        m.tool_budget = Some(m.tool_budget.unwrap_or(1) + 1);
    }
    let last = new.members[new.members.len() - 1].clone();
    new.members.push(MemberConfig {
        id: "added_by_test".into(),
        ..last
    });
    new
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn load_str_never_panics_on_any_text(s in "\\PC{0,400}") {
        let _ = load_str(Path::new("x.yaml"), &s);
    }

    #[test]
    fn load_str_never_panics_on_yaml_like_text(s in "[ \\n\\-:#{}\\[\\],'\"|>&*!a-c0-2]{0,300}") {
        let _ = load_str(Path::new("x.yaml"), &s);
    }

    #[test]
    fn loading_and_editing_mutated_examples_never_panics(
        which in 0..EXAMPLES.len(),
        ops in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<usize>()), 1..8),
    ) {
        let (_, text) = example(EXAMPLES[which]);
        let mutated = mutate(&text, &ops);
        if let Ok(file) = load_str(Path::new("x.yaml"), &mutated) {
            let teams: Vec<(String, TeamConfig)> = file
                .workflows
                .values()
                .flat_map(|w| w.teams().map(|t| (t.id.clone(), TeamConfig::of(t))))
                .collect();
            for (id, old) in teams {
                let new = some_change(&old);
                if let Ok(out) = apply_team_config(&mutated, Path::new("x.yaml"), &id, &new) {
                    let f = load_str(Path::new("x.yaml"), &out).unwrap();
                    prop_assert_eq!(TeamConfig::of(f.find_team(&id).unwrap().1), new);
                }
            }
        }
    }
}
