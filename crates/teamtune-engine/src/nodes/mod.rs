//! Executors of the non-team node types. Each takes the node and the state and says where
//! the run goes next, or why it stops.

pub(crate) mod compute;
pub(crate) mod hitl;
pub(crate) mod transform;
