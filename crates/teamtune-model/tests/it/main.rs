//! Integration tests of teamtune-model: the in-place team editor against the shipped
//! examples and generated files, and the loader against arbitrary input.

mod edit_examples;
mod edit_props;
mod load_props;

use std::path::{Path, PathBuf};

use teamtune_model::{TeamConfig, load_str};

pub fn example(name: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

pub fn team_config(src: &str, team: &str) -> TeamConfig {
    let f = load_str(Path::new("t.yaml"), src).unwrap();
    TeamConfig::of(f.find_team(team).unwrap().1)
}

/// Lines removed from `a` and lines added in `b`, by a longest-common-subsequence line diff.
pub fn line_diff(a: &str, b: &str) -> (Vec<String>, Vec<String>) {
    let a: Vec<&str> = a.split_inclusive('\n').collect();
    let b: Vec<&str> = b.split_inclusive('\n').collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            added.push(b[j].trim_end().to_string());
            j += 1;
        } else {
            removed.push(a[i].trim_end().to_string());
            i += 1;
        }
    }
    (removed, added)
}
