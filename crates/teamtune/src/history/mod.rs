//! The change history: listing, rollback, crash reconciliation and the auto-rollback check.
//!
//! Entries are numbered from 0 (oldest) per team, and that index is the one number users
//! see: `apply` and `rollback` report it, `history` lists it, `rollback --index` takes it.
//! (The store's own row id stays inside the store.) An entry in effect is `kept` (or
//! `verified` once the auto-rollback check has passed it). `rollback --index N` returns the
//! file, byte for byte, to its state before entry N, whatever N's status, undoing every
//! change from N on that is in effect, and records itself as a `rollback` entry.
//!
//! One job per file: [`listing`] lists a team's entries, [`mod@reconcile`] settles entries an
//! interruption left pending, [`rollback`] restores a file, and [`check`] is the
//! auto-rollback check of the latest kept change.

mod check;
mod listing;
mod reconcile;
mod rollback;

pub use check::{CheckReport, CheckStatus};
pub(crate) use reconcile::reconcile;
pub use rollback::RollbackReport;
