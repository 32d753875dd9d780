//! Listing a team's change history (settling interrupted entries first).

use teamtune_store::HistoryEntry;

use super::reconcile::reconcile;
use crate::autotuner::{Access, Autotuner};
use crate::error::Error;

impl Autotuner {
    pub fn history(&self, team_id: &str) -> Result<Vec<HistoryEntry>, Error> {
        self.using_store(Access::Existing, |store| {
            reconcile(store, team_id)?;
            Ok(store.history(team_id)?)
        })
    }
}
