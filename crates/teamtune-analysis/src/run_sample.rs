//! The lean, analysis-ready view of one team run.
//!
//! A metrics file can hold a million records, so the parser does not keep the full
//! [`TeamRunRecord`] (timestamps, tool name lists, ...): it keeps a [`RunSample`] with only what
//! summaries, detectors, strategies and the A/B rules read. Repeated strings (team ids,
//! formations, member ids, roles) are shared through an [`Interner`].

use std::collections::HashMap;
use std::sync::Arc;

use teamtune_model::{StopCause, TeamRunRecord, Variant};

/// Victor's defaults for a record's missing fields (its `PerformanceAnalyzer` reads
/// `formation` as "sequential", `member_count` as 1 and `success` as true when absent).
pub const DEFAULT_FORMATION: &str = "sequential";
pub const DEFAULT_MEMBER_COUNT: u32 = 1;
pub const DEFAULT_SUCCESS: bool = true;

/// One team run as the analysis sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSample {
    pub team_id: Arc<str>,
    /// The formation name as recorded (Victor default `"sequential"`).
    pub formation: Arc<str>,
    /// Victor default 1.
    pub member_count: u32,
    /// Victor default `true`.
    pub success: bool,
    /// Victor default 0 (then left out of duration statistics, as Victor does).
    pub duration_seconds: f64,
    /// Victor default 0 (then left out of tool call statistics, as Victor does).
    pub total_tool_calls: u64,
    pub consensus_rounds: Option<u32>,
    /// Why the team failed, if recorded.
    pub error: Option<Failure>,
    pub variant: Option<Variant>,
    pub config_hash: Option<Arc<str>>,
    /// Per-member results, in the record's order.
    pub members: Vec<MemberSample>,
}

/// One member's part of a team run (`member_metrics` in the record).
#[derive(Debug, Clone, PartialEq)]
pub struct MemberSample {
    pub member_id: Arc<str>,
    pub role: Arc<str>,
    pub success: bool,
    pub duration_seconds: f64,
    pub tool_calls_used: u64,
    pub error_message: Option<Failure>,
}

/// A recorded failure: its typed cause and its text. Records from the engine carry the
/// cause; Victor's records carry text only, classified once when they are read
/// ([`StopCause::from_victor_text`]), so the analysis itself never reads causes from text.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub cause: StopCause,
    pub message: String,
}

impl Failure {
    pub fn new(cause: StopCause, message: impl Into<String>) -> Failure {
        Failure {
            cause,
            message: message.into(),
        }
    }

    /// A failure known only by its text (a Victor record, a hand-written fixture).
    pub fn from_text(message: impl Into<String>) -> Failure {
        let message = message.into();
        Failure {
            cause: StopCause::from_victor_text(&message),
            message,
        }
    }

    /// The typed cause, or the text's when the record has none.
    fn of(cause: Option<StopCause>, message: Option<&String>) -> Option<Failure> {
        match (cause, message) {
            (Some(c), m) => Some(Failure::new(c, m.cloned().unwrap_or_default())),
            (None, Some(m)) => Some(Failure::from_text(m.clone())),
            (None, None) => None,
        }
    }

    pub fn kind(&self) -> FailureKind {
        match self.cause {
            StopCause::BudgetExhausted => FailureKind::BudgetExhausted,
            StopCause::Timeout | StopCause::HangKilled => FailureKind::Timeout,
            StopCause::Done | StopCause::Error => FailureKind::Other,
        }
    }
}

impl From<&str> for Failure {
    fn from(text: &str) -> Failure {
        Failure::from_text(text)
    }
}

impl From<String> for Failure {
    fn from(text: String) -> Failure {
        Failure::from_text(text)
    }
}

/// Why a run failed, as far as the recorded error texts tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A member needed more tool calls than its budget allowed.
    BudgetExhausted,
    /// A member or the team ran past `timeout_seconds`.
    Timeout,
    /// Any other recorded or unrecorded cause.
    Other,
}

impl RunSample {
    /// A run with Victor's defaults for everything but the team id.
    pub fn new(team_id: &str) -> RunSample {
        RunSample {
            team_id: Arc::from(team_id),
            formation: Arc::from(DEFAULT_FORMATION),
            member_count: DEFAULT_MEMBER_COUNT,
            success: DEFAULT_SUCCESS,
            duration_seconds: 0.0,
            total_tool_calls: 0,
            consensus_rounds: None,
            error: None,
            variant: None,
            config_hash: None,
            members: Vec::new(),
        }
    }

    /// Converts a stored record (the store path). Strings are shared through `interner`.
    pub fn from_record(record: &TeamRunRecord, interner: &mut Interner) -> RunSample {
        RunSample {
            team_id: interner.intern(&record.team_id),
            formation: interner.intern(&record.formation),
            member_count: record.member_count,
            success: record.success,
            duration_seconds: record.duration_seconds,
            total_tool_calls: record.total_tool_calls,
            consensus_rounds: record.consensus_rounds,
            error: if record.success {
                None
            } else {
                Failure::of(record.stop_cause, record.error.as_ref())
            },
            variant: record.variant,
            config_hash: record.config_hash.as_deref().map(|h| interner.intern(h)),
            members: record
                .member_metrics
                .iter()
                .map(|(key, m)| MemberSample {
                    member_id: interner.intern(if m.member_id.is_empty() {
                        key
                    } else {
                        &m.member_id
                    }),
                    role: interner.intern(&m.role),
                    success: m.success,
                    duration_seconds: m.duration_seconds,
                    tool_calls_used: m.tool_calls_used,
                    error_message: if m.success {
                        None
                    } else {
                        Failure::of(m.stop_cause, m.error_message.as_ref())
                    },
                })
                .collect(),
        }
    }

    /// The failure causes recorded for this run: the team error and every failed member's
    /// error. Empty for a successful run.
    pub fn failure_kinds(&self) -> Vec<FailureKind> {
        if self.success {
            return Vec::new();
        }
        let mut kinds: Vec<FailureKind> = self
            .error
            .iter()
            .chain(
                self.members
                    .iter()
                    .filter(|m| !m.success)
                    .filter_map(|m| m.error_message.as_ref()),
            )
            .map(Failure::kind)
            .collect();
        if kinds.is_empty() {
            kinds.push(FailureKind::Other);
        }
        kinds.dedup();
        kinds
    }

    /// Whether this failed run failed (at least partly) for `kind`.
    pub fn failed_by(&self, kind: FailureKind) -> bool {
        self.failure_kinds().contains(&kind)
    }

    /// Members with a recorded (non-zero) duration.
    pub fn timed_members(&self) -> impl Iterator<Item = &MemberSample> {
        self.members.iter().filter(|m| m.duration_seconds > 0.0)
    }
}

/// Converts stored records (the store path) into samples, keeping only `team_id` when given.
pub fn samples_from_records<'a, I>(records: I, team_id: Option<&str>) -> Vec<RunSample>
where
    I: IntoIterator<Item = &'a TeamRunRecord>,
{
    let mut interner = Interner::default();
    records
        .into_iter()
        .filter(|r| team_id.is_none_or(|t| r.team_id == t))
        .map(|r| RunSample::from_record(r, &mut interner))
        .collect()
}

/// The store path: samples from stored records, keeping only `team_id` when given (the same
/// as [`samples_from_records`]).
pub fn samples_from_store<'a, I>(records: I, team_id: Option<&str>) -> Vec<RunSample>
where
    I: IntoIterator<Item = &'a TeamRunRecord>,
{
    samples_from_records(records, team_id)
}

/// Shares one allocation between equal strings (a million runs of one team hold one team id).
#[derive(Debug, Default)]
pub struct Interner {
    seen: HashMap<Box<str>, Arc<str>>,
    /// The first few distinct strings, compared before hashing: a metrics file repeats a
    /// handful of team ids, formations and roles millions of times.
    recent: Vec<Arc<str>>,
}

/// How many strings [`Interner`] checks without hashing.
const RECENT: usize = 8;

impl Interner {
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(found) = self.recent.iter().find(|r| ***r == *s) {
            return Arc::clone(found);
        }
        if let Some(found) = self.seen.get(s) {
            return Arc::clone(found);
        }
        let shared: Arc<str> = Arc::from(s);
        self.seen.insert(Box::from(s), Arc::clone(&shared));
        if self.recent.len() < RECENT {
            self.recent.push(Arc::clone(&shared));
        }
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn victor_texts_become_causes_once_and_typed_causes_win() {
        let kind = |t: &str| Failure::from_text(t).kind();
        assert_eq!(
            kind("Tool budget exhausted (10 calls)"),
            FailureKind::BudgetExhausted
        );
        assert_eq!(kind("member timed out after 30s"), FailureKind::Timeout);
        assert_eq!(kind("exit status 1"), FailureKind::Other);
        // An engine record's cause is typed: its text is not read.
        let f = Failure::of(
            Some(StopCause::BudgetExhausted),
            Some(&"whatever".to_string()),
        );
        assert_eq!(f.map(|f| f.kind()), Some(FailureKind::BudgetExhausted));
    }

    #[test]
    fn interner_shares_allocations() {
        let mut i = Interner::default();
        let a = i.intern("team");
        let b = i.intern("team");
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn failure_kinds_of_successful_run_is_empty() {
        let mut r = RunSample::new("t");
        assert!(r.failure_kinds().is_empty());
        r.success = false;
        assert_eq!(r.failure_kinds(), vec![FailureKind::Other]);
        r.error = Some("timeout".into());
        assert!(r.failed_by(FailureKind::Timeout));
    }
}
