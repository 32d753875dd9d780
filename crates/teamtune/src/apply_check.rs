//! `apply`'s suggestions checked before anything runs or is created: each is for this team,
//! fits its configuration as it is (see [`crate::suggestion_fit`]), and turns the workflow
//! file into one that loads and validates. A file of suggestions made for an older version
//! of the team is refused unless every suggestion still fits.

use teamtune_analysis::{Suggestion, apply_suggestion};
use teamtune_model::{TeamConfig, TeamNode, apply_team_config};

use crate::apply::{ApplyMode, ApplyOptions};
use crate::error::Error;
use crate::suggestion_fit::misfit;

/// Checks the suggestions of `opts.mode` against the team `team` of the file text `text`;
/// returns notes for the user (a file made for an older version that still fits).
pub(crate) fn check_suggestions(
    opts: &ApplyOptions,
    text: &str,
    team: &TeamNode,
) -> Result<Vec<String>, Error> {
    let (list, file) = match &opts.mode {
        ApplyMode::Suggestions(list) => (list, None),
        ApplyMode::File(f) => (&f.suggestions, Some(f)),
        ApplyMode::Auto | ApplyMode::Interactive => return Ok(Vec::new()),
    };
    let refuse = |id: Option<&str>, reason: String| Error::SuggestionRefused {
        file: file.map(|f| f.path.clone()),
        id: id.map(str::to_string),
        reason,
    };
    let config = TeamConfig::of(team);
    let mut older = None;
    if let Some(f) = file {
        if let Some(made_for) = f.team_id.as_deref().filter(|t| *t != opts.team_id) {
            return Err(refuse(
                None,
                format!(
                    "the file holds suggestions for team `{made_for}`, not `{}`",
                    opts.team_id
                ),
            ));
        }
        let hash_now = team.config_hash();
        let hash_differs = f.config_hash.as_ref().is_some_and(|h| *h != hash_now);
        let config_differs = f.current_config.as_ref().is_some_and(|c| *c != config);
        if hash_differs || config_differs {
            older = Some(match &f.config_hash {
                Some(h) => format!(
                    "made for an older version of team `{}` (config hash {h}; the file now has {hash_now})",
                    opts.team_id
                ),
                None => format!("made for an older version of team `{}`", opts.team_id),
            });
        }
    }
    for s in list {
        if let Some(m) = misfit(&config, s) {
            let reason = match &older {
                Some(older) => format!("{older}, and it no longer applies cleanly: {m}"),
                None => format!("it does not fit the team as it is: {m}"),
            };
            return Err(refuse(Some(&s.id), reason));
        }
        edited_text(opts, text, &config, s).map_err(|reason| refuse(Some(&s.id), reason))?;
    }
    Ok(older
        .map(|older| {
            vec![format!(
                "the suggestions were {older}; each still applies cleanly to the keys it names"
            )]
        })
        .unwrap_or_default())
}

/// The workflow file text with suggestion `s` applied to `config` (the text unchanged when
/// the suggestion changes nothing), or why it cannot be: the suggestion does not apply, or
/// the edited file would not load and validate.
pub(crate) fn edited_text(
    opts: &ApplyOptions,
    text: &str,
    config: &TeamConfig,
    s: &Suggestion,
) -> Result<String, String> {
    let candidate =
        apply_suggestion(config, s).map_err(|e| format!("it does not apply to the team: {e}"))?;
    if candidate == *config {
        return Ok(text.to_string());
    }
    apply_team_config(text, &opts.config, &opts.team_id, &candidate)
        .map_err(|e| format!("the edited workflow file would not validate: {e}"))
}
