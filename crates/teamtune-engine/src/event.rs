//! Events the engine emits while it runs; the CLI renders them (progress bars, logs).

use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum Event {
    NodeStarted {
        node_id: String,
        node_type: &'static str,
    },
    NodeFinished {
        node_id: String,
        success: bool,
        duration_seconds: f64,
    },
    MemberFinished {
        team_id: String,
        member_id: String,
        success: bool,
        duration_seconds: f64,
    },
    TeamFinished {
        team_id: String,
        success: bool,
        duration_seconds: f64,
    },
    /// An OpenAI member's request failed and is sent again after a wait, so a slow run
    /// says why it is slow.
    MemberRetrying {
        team_id: String,
        member_id: String,
        /// What failed, secrets redacted: `HTTP 429`, `connection refused`, ...
        reason: String,
        /// This retry's number, from 1, and the most there may be (`max_retries`).
        retry: u32,
        max_retries: u32,
        wait_seconds: f64,
    },
    HitlWaiting {
        node_id: String,
    },
    HitlResolved {
        node_id: String,
        outcome: String,
    },
}

/// Receives events. Must be cheap: it is called on the engine's task.
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;
