//! Deserializes one metrics record (a JSON object in the Victor shape) straight into a
//! [`RunSample`], without an intermediate `serde_json::Value` tree.
//!
//! While it reads, it notes which field it is in ([`FieldTracker`]), so that a type error can
//! name the field (`member_metrics.alice.success`). Fields the analysis does not use are still
//! type-checked (a string `start_time`, a list of strings in `unique_tools_used`) but not kept.
//! Unknown keys are skipped.

use std::fmt;
use std::sync::Arc;

use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Unexpected, Visitor,
};
use teamtune_model::{Formation, Variant};

use teamtune_analysis::run_sample::{Failure, Interner, MemberSample, RunSample};

/// The field being read when an error happened.
#[derive(Debug, Default)]
pub(crate) struct FieldTracker {
    top: Option<&'static str>,
    member: Option<String>,
    member_field: Option<&'static str>,
}

impl FieldTracker {
    /// The dotted path of the field, if the error happened inside one.
    pub(crate) fn path(&self) -> Option<String> {
        let top = self.top?;
        match (&self.member, self.member_field) {
            (Some(m), Some(f)) => Some(format!("{top}.{m}.{f}")),
            (Some(m), None) => Some(format!("{top}.{m}")),
            _ => Some(top.to_owned()),
        }
    }
}

pub(crate) struct RecordSeed<'a> {
    pub(crate) interner: &'a mut Interner,
    pub(crate) field: &'a mut FieldTracker,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = RunSample;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RunSample, D::Error> {
        deserializer.deserialize_map(RecordVisitor(self))
    }
}

struct RecordVisitor<'a>(RecordSeed<'a>);

pub(crate) enum TopField {
    TeamId,
    Formation,
    MemberCount,
    Success,
    Duration,
    TotalToolCalls,
    ConsensusRounds,
    ConsensusAchieved,
    Error,
    Variant,
    ConfigHash,
    MemberMetrics,
    ToolBudget,
    TimeoutSeconds,
    RecursionDepth,
    OptionalString(&'static str),
    Timestamp(&'static str),
    StringList(&'static str),
    Unknown,
}

impl TopField {
    fn of(key: &str) -> TopField {
        TopField::of_bytes(key.as_bytes())
    }

    /// The field named by `key` (the fast path matches keys before checking UTF-8).
    pub(crate) fn of_bytes(key: &[u8]) -> TopField {
        match key {
            b"team_id" => TopField::TeamId,
            b"formation" => TopField::Formation,
            b"member_count" => TopField::MemberCount,
            b"success" => TopField::Success,
            b"duration_seconds" => TopField::Duration,
            b"total_tool_calls" => TopField::TotalToolCalls,
            b"consensus_rounds" => TopField::ConsensusRounds,
            b"consensus_achieved" => TopField::ConsensusAchieved,
            b"error" => TopField::Error,
            b"variant" => TopField::Variant,
            b"config_hash" => TopField::ConfigHash,
            b"member_metrics" => TopField::MemberMetrics,
            b"tool_budget" => TopField::ToolBudget,
            b"timeout_seconds" => TopField::TimeoutSeconds,
            b"recursion_depth" => TopField::RecursionDepth,
            b"start_time" => TopField::Timestamp("start_time"),
            b"end_time" => TopField::Timestamp("end_time"),
            b"run_id" => TopField::OptionalString("run_id"),
            b"workflow" => TopField::OptionalString("workflow"),
            b"unique_tools_used" => TopField::StringList("unique_tools_used"),
            _ => TopField::Unknown,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            TopField::TeamId => "team_id",
            TopField::Formation => "formation",
            TopField::MemberCount => "member_count",
            TopField::Success => "success",
            TopField::Duration => "duration_seconds",
            TopField::TotalToolCalls => "total_tool_calls",
            TopField::ConsensusRounds => "consensus_rounds",
            TopField::ConsensusAchieved => "consensus_achieved",
            TopField::Error => "error",
            TopField::Variant => "variant",
            TopField::ConfigHash => "config_hash",
            TopField::MemberMetrics => "member_metrics",
            TopField::ToolBudget => "tool_budget",
            TopField::TimeoutSeconds => "timeout_seconds",
            TopField::RecursionDepth => "recursion_depth",
            TopField::OptionalString(n) | TopField::Timestamp(n) | TopField::StringList(n) => n,
            TopField::Unknown => "",
        }
    }
}

/// A map key, matched against the known names without allocating.
struct Key<F>(F);

impl<'de, F: FromKey> serde::Deserialize<'de> for Key<F> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<F>(std::marker::PhantomData<F>);
        impl<F: FromKey> Visitor<'_> for KeyVisitor<F> {
            type Value = Key<F>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<F>, E> {
                Ok(Key(F::from_key(v)))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor(std::marker::PhantomData))
    }
}

trait FromKey {
    fn from_key(key: &str) -> Self;
}

impl FromKey for TopField {
    fn from_key(key: &str) -> Self {
        TopField::of(key)
    }
}

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = RunSample;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a team run record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RunSample, A::Error> {
        let RecordSeed { interner, field } = self.0;
        let mut team_id: Option<Arc<str>> = None;
        let mut formation: Option<Arc<str>> = None;
        let mut sample = Draft {
            member_count: teamtune_analysis::run_sample::DEFAULT_MEMBER_COUNT,
            success: teamtune_analysis::run_sample::DEFAULT_SUCCESS,
            duration_seconds: 0.0,
            total_tool_calls: 0,
            consensus_rounds: None,
            error: None,
            variant: None,
            config_hash: None,
            members: Vec::new(),
        };
        while let Some(Key(key)) = map.next_key::<Key<TopField>>()? {
            field.top = Some(key.name());
            match key {
                TopField::TeamId => team_id = Some(map.next_value_seed(Interned(interner))?),
                TopField::Formation => {
                    let name: Arc<str> = map.next_value_seed(Interned(interner))?;
                    if !is_formation(&name) {
                        return Err(de::Error::custom(format!(
                            "unknown formation `{name}`; valid formations: {}",
                            Formation::valid_names()
                        )));
                    }
                    formation = Some(name);
                }
                TopField::MemberCount => sample.member_count = map.next_value::<Count32>()?.0,
                TopField::Success => sample.success = map.next_value::<bool>()?,
                TopField::Duration => sample.duration_seconds = map.next_value::<Seconds>()?.0,
                TopField::TotalToolCalls => sample.total_tool_calls = map.next_value::<Count>()?.0,
                TopField::ConsensusRounds => {
                    sample.consensus_rounds = map.next_value::<Option<Count32>>()?.map(|c| c.0)
                }
                TopField::ConsensusAchieved => {
                    map.next_value::<Option<bool>>()?;
                }
                TopField::Error => sample.error = map.next_value::<Option<String>>()?,
                TopField::Variant => sample.variant = map.next_value::<Option<Variant>>()?,
                TopField::ConfigHash => {
                    sample.config_hash = map.next_value_seed(OptionalInterned(interner))?
                }
                TopField::MemberMetrics => {
                    sample.members = map.next_value_seed(MembersSeed {
                        interner: &mut *interner,
                        field: &mut *field,
                    })?
                }
                TopField::ToolBudget | TopField::RecursionDepth => {
                    map.next_value::<Option<Count>>()?;
                }
                TopField::TimeoutSeconds => {
                    map.next_value::<Option<Seconds>>()?;
                }
                TopField::OptionalString(_) => {
                    map.next_value::<Option<CheckedStr>>()?;
                }
                TopField::Timestamp(_) => {
                    map.next_value::<Option<CheckedTimestamp>>()?;
                }
                TopField::StringList(_) => {
                    map.next_value::<Option<CheckedStrList>>()?;
                }
                TopField::Unknown => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            field.top = None;
        }
        field.top = Some("team_id");
        let team_id = team_id
            .ok_or_else(|| de::Error::custom("missing field (every record needs a team_id)"))?;
        field.top = None;
        Ok(RunSample {
            team_id,
            formation: formation.unwrap_or_else(|| {
                interner.intern(teamtune_analysis::run_sample::DEFAULT_FORMATION)
            }),
            member_count: sample.member_count,
            success: sample.success,
            duration_seconds: sample.duration_seconds,
            total_tool_calls: sample.total_tool_calls,
            consensus_rounds: sample.consensus_rounds,
            error: sample.error.map(Failure::from_text),
            variant: sample.variant,
            config_hash: sample.config_hash,
            members: sample.members,
        })
    }
}

/// The fields of a [`RunSample`] other than the interned strings, while they are read.
struct Draft {
    member_count: u32,
    success: bool,
    duration_seconds: f64,
    total_tool_calls: u64,
    consensus_rounds: Option<u32>,
    error: Option<String>,
    variant: Option<Variant>,
    config_hash: Option<Arc<str>>,
    members: Vec<MemberSample>,
}

/// `member_metrics`: a map of member id -> member object (or null, read as empty).
struct MembersSeed<'a> {
    interner: &'a mut Interner,
    field: &'a mut FieldTracker,
}

impl<'de> DeserializeSeed<'de> for MembersSeed<'_> {
    type Value = Vec<MemberSample>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for MembersSeed<'_> {
    type Value = Vec<MemberSample>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of member id -> member metrics")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            self.field.member = Some(key);
            let member = map.next_value_seed(MemberSeed {
                interner: &mut *self.interner,
                field: &mut *self.field,
            })?;
            members.push(member);
            self.field.member = None;
        }
        Ok(members)
    }
}

struct MemberSeed<'a> {
    interner: &'a mut Interner,
    field: &'a mut FieldTracker,
}

enum MemberField {
    MemberId,
    Role,
    Success,
    Duration,
    ToolCalls,
    ErrorMessage,
    Timestamp(&'static str),
    StringList(&'static str),
    Unknown,
}

impl FromKey for MemberField {
    fn from_key(key: &str) -> Self {
        match key {
            "member_id" => MemberField::MemberId,
            "role" => MemberField::Role,
            "success" => MemberField::Success,
            "duration_seconds" => MemberField::Duration,
            "tool_calls_used" => MemberField::ToolCalls,
            "error_message" => MemberField::ErrorMessage,
            "start_time" => MemberField::Timestamp("start_time"),
            "end_time" => MemberField::Timestamp("end_time"),
            "tools_used" => MemberField::StringList("tools_used"),
            _ => MemberField::Unknown,
        }
    }
}

impl MemberField {
    fn name(&self) -> &'static str {
        match self {
            MemberField::MemberId => "member_id",
            MemberField::Role => "role",
            MemberField::Success => "success",
            MemberField::Duration => "duration_seconds",
            MemberField::ToolCalls => "tool_calls_used",
            MemberField::ErrorMessage => "error_message",
            MemberField::Timestamp(n) | MemberField::StringList(n) => n,
            MemberField::Unknown => "",
        }
    }
}

impl<'de> DeserializeSeed<'de> for MemberSeed<'_> {
    type Value = MemberSample;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MemberSeed<'_> {
    type Value = MemberSample;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member metrics object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let MemberSeed { interner, field } = self;
        let mut member_id = None;
        let mut role = None;
        let mut success = true;
        let mut duration_seconds = 0.0;
        let mut tool_calls_used = 0;
        let mut error_message = None;
        while let Some(Key(key)) = map.next_key::<Key<MemberField>>()? {
            field.member_field = Some(key.name());
            match key {
                MemberField::MemberId => member_id = Some(map.next_value_seed(Interned(interner))?),
                MemberField::Role => role = Some(map.next_value_seed(Interned(interner))?),
                MemberField::Success => success = map.next_value::<bool>()?,
                MemberField::Duration => duration_seconds = map.next_value::<Seconds>()?.0,
                MemberField::ToolCalls => tool_calls_used = map.next_value::<Count>()?.0,
                MemberField::ErrorMessage => error_message = map.next_value::<Option<String>>()?,
                MemberField::Timestamp(_) => {
                    map.next_value::<Option<CheckedTimestamp>>()?;
                }
                MemberField::StringList(_) => {
                    map.next_value::<Option<CheckedStrList>>()?;
                }
                MemberField::Unknown => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            field.member_field = None;
        }
        Ok(MemberSample {
            member_id: match member_id {
                Some(id) => id,
                None => interner.intern(field.member.as_deref().unwrap_or_default()),
            },
            role: role.unwrap_or_else(|| interner.intern("assistant")),
            success,
            duration_seconds,
            tool_calls_used,
            error_message: error_message.map(Failure::from_text),
        })
    }
}

/// A string shared through the interner.
struct Interned<'a>(&'a mut Interner);

impl<'de> DeserializeSeed<'de> for Interned<'_> {
    type Value = Arc<str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Arc<str>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for Interned<'_> {
    type Value = Arc<str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Arc<str>, E> {
        Ok(self.0.intern(v))
    }
}

/// An interned string or null.
struct OptionalInterned<'a>(&'a mut Interner);

impl<'de> DeserializeSeed<'de> for OptionalInterned<'_> {
    type Value = Option<Arc<str>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptionalInterned<'_> {
    type Value = Option<Arc<str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        Interned(self.0).deserialize(deserializer).map(Some)
    }
}

/// A string that is checked but not kept.
struct CheckedStr;

impl<'de> serde::Deserialize<'de> for CheckedStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = CheckedStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<CheckedStr, E> {
                Ok(CheckedStr)
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Whether `name` is a formation teamtune knows (in any case, as the workflow loader reads
/// them).
pub(crate) fn is_formation(name: &str) -> bool {
    name.parse::<Formation>().is_ok()
}

/// Whether `text` is a timestamp: RFC 3339 with an offset (`2025-01-15T10:00:00Z`), or an
/// ISO 8601 date and time without one, as Python's `datetime.isoformat()` writes them.
pub(crate) fn is_timestamp(text: &str) -> bool {
    text.parse::<jiff::Timestamp>().is_ok() || text.parse::<jiff::civil::DateTime>().is_ok()
}

/// A timestamp string that is checked but not kept.
struct CheckedTimestamp;

impl<'de> serde::Deserialize<'de> for CheckedTimestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = CheckedTimestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp string such as \"2025-01-15T10:00:00Z\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CheckedTimestamp, E> {
                if is_timestamp(v) {
                    Ok(CheckedTimestamp)
                } else {
                    Err(E::invalid_value(Unexpected::Str(v), &self))
                }
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// A list of strings that is checked but not kept.
struct CheckedStrList;

impl<'de> serde::Deserialize<'de> for CheckedStrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CheckedStrList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CheckedStrList, A::Error> {
                while seq.next_element::<CheckedStr>()?.is_some() {}
                Ok(CheckedStrList)
            }
        }
        deserializer.deserialize_seq(V)
    }
}

/// A count: a non-negative integer (an integral float such as `5.0` is accepted, as Python
/// writes them).
pub(crate) struct Count(pub(crate) u64);

struct CountVisitor;

impl Visitor<'_> for CountVisitor {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        // 2^64 is exactly representable; anything at or above it does not fit.
        if v >= 0.0 && v.fract() == 0.0 && v < 18_446_744_073_709_551_616.0 {
            Ok(v as u64)
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }
}

impl<'de> serde::Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_u64(CountVisitor).map(Count)
    }
}

/// A count that fits in 32 bits (member counts, rounds).
pub(crate) struct Count32(pub(crate) u32);

impl<'de> serde::Deserialize<'de> for Count32 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = deserializer.deserialize_u64(CountVisitor)?;
        u32::try_from(v).map(Count32).map_err(|_| {
            de::Error::invalid_value(Unexpected::Unsigned(v), &"an integer below 2^32")
        })
    }
}

/// A non-negative, finite number of seconds.
pub(crate) struct Seconds(pub(crate) f64);

impl<'de> serde::Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = f64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative number of seconds")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
                if v >= 0 {
                    Ok(v as f64)
                } else {
                    Err(E::invalid_value(Unexpected::Signed(v), &self))
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
                if v.is_finite() && v >= 0.0 {
                    Ok(v)
                } else {
                    Err(E::invalid_value(Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_f64(V).map(Seconds)
    }
}
