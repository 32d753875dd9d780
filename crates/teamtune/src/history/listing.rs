//! Listing a team's change history. Reading only: the store is opened read-only, and entries
//! an interruption left pending are shown as they will be settled, without writing.

use teamtune_store::{HistoryEntry, Store};

use super::reconcile::settled;
use crate::autotuner::{Access, Autotuner};
use crate::error::Error;

impl Autotuner {
    /// The team's history, oldest first. A team the store knows nothing about (no runs, no
    /// history) is [`Error::NoRuns`], as for `analyze`.
    pub fn history(&self, team_id: &str) -> Result<Vec<HistoryEntry>, Error> {
        self.using_store(Access::Read, |store| {
            let entries = store.history(team_id)?;
            require_known(store, team_id, &entries)?;
            settled(entries)
        })
    }
}

/// Fails for a team with neither runs nor history in the store (a typo, most likely),
/// naming the teams the store does have.
pub(crate) fn require_known(
    store: &dyn Store,
    team_id: &str,
    entries: &[HistoryEntry],
) -> Result<(), Error> {
    if !entries.is_empty() || store.team_run_count(team_id)? > 0 {
        return Ok(());
    }
    Err(Error::NoRuns {
        team_id: team_id.to_string(),
        place: format!("the store {}", store.location()),
        known: Some(store.team_ids()?),
    })
}
