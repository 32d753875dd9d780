//! Human-in-the-loop gates. The run's policy answers them: `approve` and `reject` answer
//! at once; `prompt` asks a [`HitlResponder`] the caller provides (the CLI asks in the
//! terminal). No answer within the gate's timeout, or no responder, applies the gate's
//! fallback.

use serde::{Deserialize, Serialize};
use teamtune_model::HitlType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HitlPolicy {
    Prompt,
    #[default]
    Approve,
    Reject,
}

impl std::str::FromStr for HitlPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "prompt" => Ok(HitlPolicy::Prompt),
            "approve" => Ok(HitlPolicy::Approve),
            "reject" => Ok(HitlPolicy::Reject),
            other => Err(format!(
                "unknown HITL policy `{other}`; valid: prompt, approve, reject"
            )),
        }
    }
}

/// What a human is asked.
#[derive(Debug, Clone)]
pub struct HitlRequest {
    pub node_id: String,
    pub hitl_type: HitlType,
    /// The rendered prompt.
    pub prompt: String,
    pub choices: Vec<String>,
    pub default_value: Option<String>,
    /// `context_keys` of the gate with their current values.
    pub context: Vec<(String, serde_json::Value)>,
    pub timeout_seconds: f64,
}

/// A human's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum HitlAnswer {
    Approve {
        comment: Option<String>,
    },
    Reject {
        comment: Option<String>,
    },
    /// Text for an `input` gate or the chosen option of a `choice` gate.
    Value(String),
}

/// Asks a human. Called on a blocking thread; returning `None` means no answer (the gate's
/// fallback applies).
pub trait HitlResponder: Send + Sync {
    fn ask(&self, request: &HitlRequest) -> Option<HitlAnswer>;
}
