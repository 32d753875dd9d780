//! Unknown keys: serde's `unknown field` errors (every raw shape denies unknown fields)
//! reworded as `unknown key`, with a "did you mean" when a known key is a few edits away.

use crate::raw::VICTOR_ONLY_KEYS;

/// Most edits between a typo and the key it suggests: a third of the typo's length, at
/// least 2 (`tool_bugdet` -> `tool_budget` is 2, `timeout_secs` -> `timeout_seconds` 3).
fn max_edits(typo: &str) -> usize {
    (typo.chars().count() / 3).max(2)
}

/// The known key closest to `typo`, if one is close enough to be what was meant.
pub(crate) fn did_you_mean<'k>(
    typo: &str,
    known: impl IntoIterator<Item = &'k str>,
) -> Option<&'k str> {
    known
        .into_iter()
        .map(|k| (levenshtein(typo, k), k))
        .filter(|&(d, _)| d <= max_edits(typo))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// Edit distance (insertions, deletions, substitutions) between `a` and `b`, by characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// `unknown key `x`; did you mean `y`?` (or the keys allowed there) for serde's
/// "unknown field `x`, expected one of `a`, `b`" message; `None` for any other message.
/// The parser's path to the map (`workflows.w.nodes[0]: `) is kept in front.
pub(crate) fn reword_unknown_field(message: &str) -> Option<String> {
    let at = message.find("unknown field `")?;
    let rest = &message[at + "unknown field `".len()..];
    let (field, expected) = rest.split_once('`')?;
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    Some(format!(
        "{}{}",
        &message[..at],
        unknown_key_message(field, &known)
    ))
}

/// The message for an unknown key `field` where `known` are allowed.
pub(crate) fn unknown_key_message(field: &str, known: &[&str]) -> String {
    if let Some(k) = did_you_mean(field, known.iter().copied()) {
        return format!("unknown key `{field}`; did you mean `{k}`?");
    }
    let ours: Vec<&str> = known
        .iter()
        .copied()
        .filter(|k| !VICTOR_ONLY_KEYS.contains(k))
        .collect();
    if ours.is_empty() {
        format!("unknown key `{field}`; this map takes no keys")
    } else if ours.len() <= 12 {
        format!("unknown key `{field}`; keys here: {}", ours.join(", "))
    } else {
        format!("unknown key `{field}` (docs/workflow-format.md lists the keys of each part)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_typos_get_a_suggestion_and_far_ones_do_not() {
        let keys = [
            "team_formation",
            "tool_budget",
            "timeout_seconds",
            "members",
            "id",
        ];
        assert_eq!(did_you_mean("team_fromation", keys), Some("team_formation"));
        assert_eq!(did_you_mean("tool_bugdet", keys), Some("tool_budget"));
        assert_eq!(did_you_mean("timeout_secs", keys), Some("timeout_seconds"));
        assert_eq!(did_you_mean("ids", keys), Some("id"));
        assert_eq!(did_you_mean("colour", keys), None);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }

    #[test]
    fn serde_unknown_field_messages_are_reworded() {
        assert_eq!(
            reword_unknown_field("unknown field `membrs`, expected one of `id`, `members`")
                .unwrap(),
            "unknown key `membrs`; did you mean `members`?"
        );
        assert_eq!(
            reword_unknown_field("unknown field `zzz`, expected `min` or `max`").unwrap(),
            "unknown key `zzz`; keys here: min, max"
        );
        assert_eq!(
            reword_unknown_field("w.nodes[0]: unknown field `zzz`, expected `min` or `max`")
                .unwrap(),
            "w.nodes[0]: unknown key `zzz`; keys here: min, max"
        );
        assert!(reword_unknown_field("invalid type: string").is_none());
    }
}
