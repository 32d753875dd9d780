//! Where the store lives: an explicit path (`--store`), else the `TEAMTUNE_STORE` environment
//! variable, else `.teamtune/teamtune.db` under the current directory.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment variable that overrides the default store path.
pub const STORE_ENV: &str = "TEAMTUNE_STORE";

/// The store path used when nothing else is given, relative to the current directory.
pub fn default_path() -> PathBuf {
    Path::new(".teamtune").join("teamtune.db")
}

/// The store path to open: `explicit` if given, else `$TEAMTUNE_STORE` if set and not empty,
/// else [`default_path`].
pub fn resolve_path(explicit: Option<&Path>) -> PathBuf {
    resolve_with(explicit, std::env::var_os(STORE_ENV))
}

// Split out so tests need not mutate the process environment (unsafe in edition 2024).
fn resolve_with(explicit: Option<&Path>, env: Option<OsString>) -> PathBuf {
    if let Some(path) = explicit {
        return path.to_path_buf();
    }
    match env {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => default_path(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_wins_over_env() {
        let got = resolve_with(Some(Path::new("a.db")), Some("b.db".into()));
        assert_eq!(got, PathBuf::from("a.db"));
    }

    #[test]
    fn env_wins_over_default() {
        assert_eq!(
            resolve_with(None, Some("b.db".into())),
            PathBuf::from("b.db")
        );
    }

    #[test]
    fn empty_env_falls_back_to_default() {
        assert_eq!(resolve_with(None, Some("".into())), default_path());
        assert_eq!(
            resolve_with(None, None),
            PathBuf::from(".teamtune/teamtune.db")
        );
    }
}
