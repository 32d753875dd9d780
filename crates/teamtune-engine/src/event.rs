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
