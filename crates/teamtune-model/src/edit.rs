//! Writing a team's new configuration back into the user's workflow file, in place.
//!
//! [`apply_team_config`] compares the desired [`TeamConfig`] with the team as the file has it
//! and rewrites only the values that differ, as text: comments, blank lines, key order,
//! quoting and the formatting of everything else stay byte for byte. It handles the tunable
//! keys (`team_formation`, `timeout_seconds`, `total_tool_budget`, `max_iterations`; member
//! `tool_budget`, `timeout_seconds`, `is_manager`), dropping members and appending members
//! cloned from the last one, in block-style and flow-style (`- {id: a, ...}`) members.
//!
//! Every edit is checked by re-parsing the result: the team must now read exactly as asked,
//! and nothing else in the file (other nodes, other workflows, the team's other keys, the
//! members' other keys) may differ, or the edit is refused with the path that changed.
//!
//! # Why hand-written text edits rather than `yaml-edit`
//!
//! The editor needs every byte it does not change kept as it was (comments, quoting, tags,
//! anchors, CRLF, a missing final newline), new keys and members written next to their
//! siblings, and the result re-parsed by the same loader that reads the file, then checked
//! against what was asked. The lossless `yaml-edit` crate (0.3.6, tried with its
//! `Mapping::set` and `Sequence::push` on this module's test cases) keeps comments and CRLF,
//! but: setting `tool_budget: !!int 5` to 6 drops the `!!int` tag (kept here); a key it adds
//! goes to the end of the team mapping, after `members:`, where this editor puts it after
//! the formation key; and changing `timeout_seconds: &limit 300` silently changes every
//! `*limit` alias in other teams, which the re-parse check here refuses
//! (`EditError::UnintendedChange`). It also parses with its own YAML parser, so that check
//! against our loader would be needed anyway; with it in place, the small text model in
//! `text` is enough and adds no second YAML parser.

mod text;
mod verify;

use std::collections::HashSet;
use std::path::Path;

use crate::error::{LoadError, TeamNotFound};
use crate::load::load_str;
use crate::team_config::{MemberConfig, TeamConfig};

use text::{Doc, Edit, MapView};

/// Why a team's configuration could not be written into its file.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("the workflow file does not load, so it cannot be edited: {source}")]
    Load { source: LoadError },
    #[error("no team node `{team}` in the file (team nodes: {available})")]
    TeamNotFound { team: String, available: String },
    #[error(
        "team id `{team}` is used in several workflows ({workflows}); cannot tell which to edit"
    )]
    AmbiguousTeam { team: String, workflows: String },
    #[error("team `{team}`: the new configuration has no members; a team needs at least one")]
    NoMembers { team: String },
    #[error("team `{team}`: member `{member}` is listed twice in the new configuration")]
    DuplicateMember { team: String, member: String },
    #[error(
        "team `{team}`: member `{member}` is not in the file; new members can only be appended after \
         the existing ones (each is a clone of the last member)"
    )]
    MemberNotFound { team: String, member: String },
    #[error(
        "team `{team}`: member `{member}` is out of order; existing members keep the file's order"
    )]
    MemberOrder { team: String, member: String },
    #[error("team `{team}`{}: `{key}` = {value} is invalid: {reason}", member_note(.member))]
    InvalidValue {
        team: String,
        member: Option<String>,
        key: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("team `{team}`{}: cannot edit `{key}`: {reason}", member_note(.member))]
    Unsupported {
        team: String,
        member: Option<String>,
        key: String,
        reason: String,
    },
    #[error("team `{team}`: the edited file no longer loads (nothing was written): {source}")]
    Reparse { team: String, source: LoadError },
    #[error(
        "team `{team}`: after editing, `{field}` reads {found} instead of {expected} (nothing was written)"
    )]
    Mismatch {
        team: String,
        field: String,
        expected: String,
        found: String,
    },
    #[error(
        "team `{team}`: the edit would also change `{path}`, which it must not touch (nothing was written)"
    )]
    UnintendedChange { team: String, path: String },
}

fn member_note(member: &Option<String>) -> String {
    member
        .as_ref()
        .map(|m| format!(", member `{m}`"))
        .unwrap_or_default()
}

/// Where a member of the new configuration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// The file's member at this position.
    Keep(usize),
    /// A clone of the file's member at this position: the last one with the new member's
    /// role, else the last one.
    Clone(usize),
}

/// Keys of the team node this module may change, in the order new ones are placed.
const TEAM_ORDER: &[&str] = &[
    "id",
    "type",
    "team_formation",
    "formation",
    "max_iterations",
    "timeout_seconds",
    "total_tool_budget",
];
/// Keys of a member this module may change (plus `id` and `role` of clones), in order.
const MEMBER_ORDER: &[&str] = &[
    "id",
    "name",
    "role",
    "goal",
    "tool_budget",
    "timeout_seconds",
    "is_manager",
];

/// Returns the new file text. `new` is the full desired [`TeamConfig`] of team node
/// `team_id`; `path` names the file in errors. Only the values that differ from the file are
/// rewritten; the result is re-parsed and checked before it is returned.
pub fn apply_team_config(
    source: &str,
    path: &Path,
    team_id: &str,
    new: &TeamConfig,
) -> Result<String, EditError> {
    let file = load_str(path, source).map_err(|source| EditError::Load { source })?;
    let hits: Vec<_> = file
        .workflows
        .iter()
        .filter(|(_, w)| w.team(team_id).is_some())
        .collect();
    let (wf_key, wf) = match hits.as_slice() {
        [] => {
            let missing = TeamNotFound::in_file(&file, team_id);
            return Err(EditError::TeamNotFound {
                available: missing.teams_text(),
                team: missing.team_id,
            });
        }
        [one] => *one,
        many => {
            return Err(EditError::AmbiguousTeam {
                team: team_id.to_string(),
                workflows: many
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    };
    let Some((node_pos, team)) = wf
        .team(team_id)
        .and_then(|t| wf.index.get(team_id).map(|&i| (i, t)))
    else {
        return Err(EditError::TeamNotFound {
            team: team_id.to_string(),
            available: team_id.to_string(),
        });
    };
    let old = TeamConfig::of(team);
    validate(team_id, new)?;
    if old == *new {
        return Ok(source.to_string());
    }
    let slots = plan_members(team_id, &old, new)?;

    let doc = Doc::new(source);
    let ed = Editor { team: team_id };
    let node = ed.locate_node(&doc, wf_key, node_pos)?;
    let mut edits = Vec::new();
    ed.team_edits(&doc, &node, &old, new, &slots, &mut edits)?;
    let out =
        text::apply(source, edits).map_err(|reason| ed.unsupported(None, "members", reason))?;
    verify::check(source, &out, path, team_id, wf_key, node_pos, &slots, new)?;
    Ok(out)
}

fn validate(team: &str, new: &TeamConfig) -> Result<(), EditError> {
    let invalid = |member: Option<&str>, key, value: String, reason| EditError::InvalidValue {
        team: team.to_string(),
        member: member.map(str::to_string),
        key,
        value,
        reason,
    };
    if let Some(t) = new.timeout_seconds
        && !(t.is_finite() && t > 0.0)
    {
        return Err(invalid(
            None,
            "timeout_seconds",
            t.to_string(),
            "must be a number > 0",
        ));
    }
    if new.max_iterations == 0 {
        return Err(invalid(
            None,
            "max_iterations",
            "0".to_string(),
            "must be >= 1",
        ));
    }
    for m in &new.members {
        if m.id.trim().is_empty() {
            return Err(invalid(
                Some(&m.id),
                "id",
                format!("{:?}", m.id),
                "must not be empty",
            ));
        }
        if let Some(t) = m.timeout_seconds
            && !(t.is_finite() && t > 0.0)
        {
            return Err(invalid(
                Some(&m.id),
                "timeout_seconds",
                t.to_string(),
                "must be a number > 0",
            ));
        }
    }
    Ok(())
}

/// Matches the new members to the file's by id: existing ones in file order, then clones.
fn plan_members(team: &str, old: &TeamConfig, new: &TeamConfig) -> Result<Vec<Slot>, EditError> {
    if new.members.is_empty() {
        return Err(EditError::NoMembers {
            team: team.to_string(),
        });
    }
    let mut seen = HashSet::new();
    let mut slots = Vec::with_capacity(new.members.len());
    let mut last_kept: Option<usize> = None;
    let mut first_added: Option<&str> = None;
    for m in &new.members {
        if !seen.insert(m.id.as_str()) {
            return Err(EditError::DuplicateMember {
                team: team.to_string(),
                member: m.id.clone(),
            });
        }
        match old.members.iter().position(|o| o.id == m.id) {
            Some(i) => {
                if let Some(a) = first_added {
                    return Err(EditError::MemberNotFound {
                        team: team.to_string(),
                        member: a.to_string(),
                    });
                }
                if last_kept.is_some_and(|l| i <= l) {
                    return Err(EditError::MemberOrder {
                        team: team.to_string(),
                        member: m.id.clone(),
                    });
                }
                last_kept = Some(i);
                slots.push(Slot::Keep(i));
            }
            None => {
                first_added.get_or_insert(&m.id);
                let source = old
                    .members
                    .iter()
                    .rposition(|o| o.role == m.role)
                    .unwrap_or(old.members.len() - 1);
                slots.push(Slot::Clone(source));
            }
        }
    }
    Ok(slots)
}

struct Editor<'a> {
    team: &'a str,
}

impl Editor<'_> {
    fn unsupported(&self, member: Option<&str>, key: &str, reason: impl Into<String>) -> EditError {
        EditError::Unsupported {
            team: self.team.to_string(),
            member: member.map(str::to_string),
            key: key.to_string(),
            reason: reason.into(),
        }
    }

    /// The team node's mapping: root (or `workflows:`) -> workflow -> `nodes:` item.
    fn locate_node(&self, doc: &Doc, wf_key: &str, node_pos: usize) -> Result<MapView, EditError> {
        let fail = |reason: String| self.unsupported(None, "nodes", reason);
        let last = doc.lines.len().saturating_sub(1);
        let first = doc
            .first_content(0, last)
            .ok_or_else(|| fail("the file is empty".into()))?;
        let root = doc
            .block_map(first, doc.lines[first].indent, last)
            .map_err(fail)?;
        let in_block =
            |entries: &[text::Entry], key: &str| -> Result<Option<Vec<text::Entry>>, EditError> {
                let Some(e) = entries.iter().find(|e| e.key == key) else {
                    return Ok(None);
                };
                if e.value.is_some() {
                    return Err(fail(format!("`{key}` is not a block mapping")));
                }
                let Some(f) = doc.first_content(e.line + 1, e.last) else {
                    return Ok(None);
                };
                doc.block_map(f, doc.lines[f].indent, e.last)
                    .map(Some)
                    .map_err(fail)
            };
        let wf = match in_block(&root, "workflows")? {
            Some(wfs) if wfs.iter().any(|e| e.key == wf_key) => in_block(&wfs, wf_key)?,
            _ => in_block(&root, wf_key)?,
        };
        let wf =
            wf.ok_or_else(|| fail(format!("workflow `{wf_key}` not found as a block mapping")))?;
        let nodes = wf
            .iter()
            .find(|e| e.key == "nodes")
            .ok_or_else(|| fail(format!("workflow `{wf_key}` has no block `nodes:` list")))?;
        if nodes.value.is_some() {
            return Err(fail(
                "a flow-style `nodes: [...]` list is not supported".into(),
            ));
        }
        let items = doc.seq_items(nodes.line + 1, nodes.last);
        let item = items.get(node_pos).ok_or_else(|| {
            fail(format!(
                "node #{} of workflow `{wf_key}` not found in the text",
                node_pos + 1
            ))
        })?;
        let map = doc.item_map(item).map_err(fail)?;
        let MapView::Block { entries, .. } = &map else {
            return Err(fail(
                "a flow-style team node `- {id: ...}` is not supported".into(),
            ));
        };
        let id_ok = entries
            .iter()
            .find(|e| e.key == "id")
            .and_then(|e| e.value)
            .is_some_and(|(s, t)| unquote(&doc.src[s..t]) == self.team);
        if !id_ok {
            return Err(fail(format!(
                "node #{} of workflow `{wf_key}` is not `id: {}` in the text",
                node_pos + 1,
                self.team
            )));
        }
        Ok(map)
    }

    fn team_edits(
        &self,
        doc: &Doc,
        node: &MapView,
        old: &TeamConfig,
        new: &TeamConfig,
        slots: &[Slot],
        edits: &mut Vec<Edit>,
    ) -> Result<(), EditError> {
        let set = |key: &str, value: Option<String>, edits: &mut Vec<Edit>| {
            set_key(doc, node, key, value.as_deref(), TEAM_ORDER, edits)
                .map_err(|r| self.unsupported(None, key, r))
        };
        if old.team_formation != new.team_formation {
            let key = if node.has("team_formation") || !node.has("formation") {
                "team_formation"
            } else {
                "formation"
            };
            set(key, Some(new.team_formation.as_str().to_string()), edits)?;
        }
        if old.max_iterations != new.max_iterations {
            set(
                "max_iterations",
                Some(new.max_iterations.to_string()),
                edits,
            )?;
        }
        if old.timeout_seconds != new.timeout_seconds {
            set("timeout_seconds", new.timeout_seconds.map(float), edits)?;
        }
        if old.total_tool_budget != new.total_tool_budget {
            set(
                "total_tool_budget",
                new.total_tool_budget.map(|b| b.to_string()),
                edits,
            )?;
        }
        if old.members == new.members {
            return Ok(());
        }

        let MapView::Block { entries, .. } = node else {
            return Ok(());
        };
        let fail = |reason: String| self.unsupported(None, "members", reason);
        let members = entries
            .iter()
            .find(|e| e.key == "members")
            .ok_or_else(|| fail("no block `members:` list in the text".into()))?;
        if members.value.is_some() {
            return Err(fail(
                "a flow-style `members: [...]` list is not supported".into(),
            ));
        }
        let items = doc.seq_items(members.line + 1, members.last);
        if items.len() != old.members.len() {
            return Err(fail(format!(
                "found {} member items in the text, expected {}",
                items.len(),
                old.members.len()
            )));
        }
        let kept: HashSet<usize> = slots
            .iter()
            .filter_map(|s| match s {
                Slot::Keep(i) => Some(*i),
                Slot::Clone(_) => None,
            })
            .collect();
        for (i, item) in items.iter().enumerate() {
            if !kept.contains(&i) {
                edits.push(doc.delete_lines(item.line, item.last));
            }
        }
        let mut added = Vec::new();
        for (slot, want) in slots.iter().zip(&new.members) {
            match *slot {
                Slot::Keep(i) if old.members[i] != *want => {
                    self.member_edits(doc, &items[i], &old.members[i], want, false, edits)?;
                }
                Slot::Keep(_) => {}
                Slot::Clone(source) => added.extend(self.clone_member(
                    doc,
                    items[source],
                    &old.members[source],
                    want,
                )?),
            }
        }
        if !added.is_empty() {
            let last = items[items.len() - 1].last;
            edits.push(doc.insert_after(last, &added));
        }
        Ok(())
    }

    /// The lines of a copy of `source` (the file's last member) configured as `want`.
    fn clone_member(
        &self,
        doc: &Doc,
        source: text::Item,
        cur: &MemberConfig,
        want: &MemberConfig,
    ) -> Result<Vec<String>, EditError> {
        let start = doc.lines[source.line].start;
        let end = doc.lines[source.last].end;
        let mut snippet = doc.src[start..end].to_string();
        snippet.push_str(doc.eol);
        let sub = Doc::new(&snippet);
        let last = sub.lines.len().saturating_sub(1);
        let item = sub.seq_items(0, last).first().copied().ok_or_else(|| {
            self.unsupported(Some(&want.id), "members", "cannot read the member to clone")
        })?;
        let mut edits = Vec::new();
        self.member_edits(&sub, &item, cur, want, true, &mut edits)?;
        let out = text::apply(&snippet, edits)
            .map_err(|r| self.unsupported(Some(&want.id), "members", r))?;
        Ok(out.lines().map(str::to_string).collect())
    }

    fn member_edits(
        &self,
        doc: &Doc,
        item: &text::Item,
        cur: &MemberConfig,
        want: &MemberConfig,
        clone: bool,
        edits: &mut Vec<Edit>,
    ) -> Result<(), EditError> {
        let who = Some(want.id.as_str());
        let map = doc
            .item_map(item)
            .map_err(|r| self.unsupported(who, "members", r))?;
        let set = |key: &str, value: Option<String>, edits: &mut Vec<Edit>| {
            set_key(doc, &map, key, value.as_deref(), MEMBER_ORDER, edits)
                .map_err(|r| self.unsupported(who, key, r))
        };
        if clone {
            set("id", Some(scalar(&want.id)), edits)?;
        }
        if cur.role != want.role {
            if !clone {
                return Err(self.unsupported(
                    who,
                    "role",
                    format!(
                        "changing the role of an existing member (`{}` -> `{}`) is not supported",
                        cur.role, want.role
                    ),
                ));
            }
            set("role", Some(scalar(&want.role)), edits)?;
        }
        if cur.tool_budget != want.tool_budget {
            set(
                "tool_budget",
                want.tool_budget.map(|b| b.to_string()),
                edits,
            )?;
        }
        if cur.timeout_seconds != want.timeout_seconds {
            set("timeout_seconds", want.timeout_seconds.map(float), edits)?;
        }
        if cur.is_manager != want.is_manager {
            set(
                "is_manager",
                want.is_manager.then(|| "true".to_string()),
                edits,
            )?;
        }
        Ok(())
    }
}

impl MapView {
    fn has(&self, key: &str) -> bool {
        match self {
            MapView::Block { entries, .. } => entries.iter().any(|e| e.key == key),
            MapView::Flow(f) => f.entries.iter().any(|e| e.key == key),
        }
    }
}

/// Sets (`Some`) or removes (`None`) `key` in `map`. A missing key is added after the nearest
/// key before it in `order` that the mapping has, else after its last entry, at the
/// mapping's indentation (or inside the braces of a flow mapping).
fn set_key(
    doc: &Doc,
    map: &MapView,
    key: &str,
    value: Option<&str>,
    order: &[&str],
    edits: &mut Vec<Edit>,
) -> Result<(), String> {
    let before: &[&str] = order
        .iter()
        .position(|k| *k == key)
        .map_or(&[], |p| &order[..p]);
    match map {
        MapView::Block {
            entries,
            col,
            dash_line,
        } => {
            let found = entries.iter().find(|e| e.key == key);
            match (value, found) {
                (Some(v), Some(e)) => match e.value {
                    Some((s, t)) if e.last == e.line => {
                        edits.push(Edit {
                            start: skip_properties(doc.src, s, t),
                            end: t,
                            text: v.to_string(),
                        });
                    }
                    _ => {
                        return Err(
                            "its value spans several lines; only one-line values are edited".into(),
                        );
                    }
                },
                (Some(v), None) => {
                    let anchor = before
                        .iter()
                        .rev()
                        .find_map(|k| entries.iter().find(|e| e.key == *k))
                        .or(entries.last())
                        .ok_or("the mapping has no entries")?;
                    edits.push(
                        doc.insert_after(anchor.last, &[format!("{}{key}: {v}", " ".repeat(*col))]),
                    );
                }
                (None, Some(e)) => {
                    if *dash_line == Some(e.line) {
                        return Err(
                            "it shares its line with the item's `-`; remove it by hand".into()
                        );
                    }
                    edits.push(doc.delete_lines(e.line, e.last));
                }
                (None, None) => {}
            }
        }
        MapView::Flow(f) => {
            let found = f.entries.iter().position(|e| e.key == key);
            match (value, found) {
                (Some(v), Some(i)) => {
                    let e = &f.entries[i];
                    let edit = match e.value {
                        Some((s, t)) => Edit {
                            start: skip_properties(doc.src, s, t),
                            end: t,
                            text: v.to_string(),
                        },
                        None => Edit {
                            start: e.start,
                            end: e.end,
                            text: format!("{key}: {v}"),
                        },
                    };
                    edits.push(edit);
                }
                (Some(v), None) => {
                    let anchor = before
                        .iter()
                        .rev()
                        .find_map(|k| f.entries.iter().find(|e| e.key == *k))
                        .or(f.entries.last())
                        .ok_or("the flow mapping is empty")?;
                    edits.push(Edit {
                        start: anchor.end,
                        end: anchor.end,
                        text: format!(", {key}: {v}"),
                    });
                }
                (None, Some(i)) => {
                    let e = &f.entries[i];
                    let (start, end) = match (i.checked_sub(1), f.entries.get(i + 1)) {
                        (Some(p), _) => (f.entries[p].end, e.end),
                        (None, Some(n)) => (e.start, n.start),
                        (None, None) => (e.start, e.end),
                    };
                    edits.push(Edit {
                        start,
                        end,
                        text: String::new(),
                    });
                }
                (None, None) => {}
            }
        }
    }
    Ok(())
}

/// The start of a value after its anchor and tag (`&a !!int 5` -> `5`), so a replaced value
/// keeps its anchor: aliases elsewhere keep resolving, and the re-parse check then reports
/// what they changed instead of a dangling alias.
fn skip_properties(src: &str, start: usize, end: usize) -> usize {
    let mut s = start;
    while s < end && matches!(src.as_bytes()[s], b'&' | b'!') {
        let rest = &src[s..end];
        let Some(ws) = rest.find([' ', '\t']) else {
            return start;
        };
        let after = &rest[ws..];
        s += ws + (after.len() - after.trim_start().len());
    }
    s
}

/// A float as YAML: whole numbers without a fraction (`120`), others in their shortest
/// round-trip form (`0.5`).
fn float(v: f64) -> String {
    format!("{v}")
}

/// A string as a YAML scalar: plain when that reads back as the same string, else
/// double-quoted (JSON escapes are valid YAML).
fn scalar(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

/// The text of a one-line scalar without its quotes (escapes are not needed for ids here:
/// the loader already matched the node by position; this only double-checks it).
fn unquote(t: &str) -> String {
    let t = t.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        return serde_json::from_str(t).unwrap_or_else(|_| t[1..t.len() - 1].to_string());
    }
    if t.len() >= 2 && t.starts_with('\'') && t.ends_with('\'') {
        return t[1..t.len() - 1].replace("''", "'");
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formation::Formation;

    const SRC: &str = "\
# top comment
workflows:
  w:
    nodes:
      - id: t   # the team
        type: team
        goal: \"g\"
        team_formation: parallel   # why parallel

        members:
          # first
          - id: a
            role: r
            tool_budget: 10
          - {id: b, role: r, tool_budget: 20}
";

    fn cfg(src: &str) -> TeamConfig {
        let f = load_str(Path::new("x.yaml"), src).unwrap();
        TeamConfig::of(f.find_team("t").unwrap().1)
    }

    fn edit(src: &str, f: impl FnOnce(&mut TeamConfig)) -> Result<String, EditError> {
        let mut c = cfg(src);
        f(&mut c);
        apply_team_config(src, Path::new("x.yaml"), "t", &c)
    }

    #[test]
    fn unchanged_config_returns_source() {
        assert_eq!(edit(SRC, |_| {}).unwrap(), SRC);
    }

    #[test]
    fn formation_is_replaced_in_place() {
        let out = edit(SRC, |c| c.team_formation = Formation::Consensus).unwrap();
        assert_eq!(
            out,
            SRC.replace("team_formation: parallel ", "team_formation: consensus ")
        );
    }

    #[test]
    fn team_keys_are_added_after_formation() {
        let out = edit(SRC, |c| {
            c.timeout_seconds = Some(120.0);
            c.total_tool_budget = Some(50);
        })
        .unwrap();
        assert!(
            out.contains(
                "# why parallel\n        timeout_seconds: 120\n        total_tool_budget: 50\n\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn member_keys_in_block_and_flow_style() {
        let out = edit(SRC, |c| {
            c.members[0].tool_budget = None;
            c.members[0].timeout_seconds = Some(2.5);
            c.members[1].tool_budget = Some(7);
            c.members[1].is_manager = true;
        })
        .unwrap();
        let want = SRC
            .replace(
                "            tool_budget: 10\n",
                "            timeout_seconds: 2.5\n",
            )
            .replace("tool_budget: 20}", "tool_budget: 7, is_manager: true}");
        assert_eq!(out, want);
    }

    #[test]
    fn grow_clones_the_last_member() {
        let out = edit(SRC, |c| {
            let mut m = c.members[1].clone();
            m.id = "c".into();
            c.members.push(m);
        })
        .unwrap();
        assert_eq!(
            out,
            format!("{SRC}          - {{id: c, role: r, tool_budget: 20}}\n")
        );
    }

    #[test]
    fn shrink_drops_the_named_member() {
        let out = edit(SRC, |c| {
            c.members.remove(0);
        })
        .unwrap();
        let want = SRC.replace(
            "          - id: a\n            role: r\n            tool_budget: 10\n",
            "",
        );
        assert_eq!(out, want);
    }

    #[test]
    fn errors_name_the_team_and_member() {
        let c = cfg(SRC);
        let e = apply_team_config(SRC, Path::new("x.yaml"), "nope", &c).unwrap_err();
        assert!(matches!(e, EditError::TeamNotFound { .. }), "{e}");
        let e = edit(SRC, |c| {
            c.members.insert(
                0,
                MemberConfig {
                    id: "zz".into(),
                    ..c.members[0].clone()
                },
            )
        })
        .unwrap_err();
        assert!(
            matches!(&e, EditError::MemberNotFound { member, .. } if member == "zz"),
            "{e}"
        );
        let e = edit(SRC, |c| c.members.reverse()).unwrap_err();
        assert!(matches!(e, EditError::MemberOrder { .. }), "{e}");
        let e = edit(SRC, |c| c.members.clear()).unwrap_err();
        assert!(matches!(e, EditError::NoMembers { .. }), "{e}");
        let e = edit(SRC, |c| c.members[0].role = "other".into()).unwrap_err();
        assert!(
            matches!(&e, EditError::Unsupported { key, .. } if key == "role"),
            "{e}"
        );
        let e = edit(SRC, |c| c.timeout_seconds = Some(-1.0)).unwrap_err();
        assert!(
            matches!(
                e,
                EditError::InvalidValue {
                    key: "timeout_seconds",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn scalars_quote_only_when_needed() {
        assert_eq!(scalar("agent_2"), "agent_2");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("a b"), "\"a b\"");
        assert_eq!(float(120.0), "120");
        assert_eq!(float(0.25), "0.25");
    }
}
