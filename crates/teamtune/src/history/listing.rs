//! Listing a team's change history (settling interrupted entries first).

use teamtune_store::{HistoryEntry, HistoryStore};

use super::reconcile;
use crate::autotuner::Autotuner;
use crate::error::Error;

impl Autotuner {
    pub fn history(&self, team_id: &str) -> Result<Vec<HistoryEntry>, Error> {
        let mut store = self.existing_store()?;
        reconcile(&mut store, team_id)?;
        Ok(store.history(team_id)?)
    }
}
