//! Atomic file writes: a temporary file in the same directory, written, fsynced, renamed over
//! the target, and the directory fsynced, so a reader (or a crash) sees the old file or the
//! new one, never a mix. A process killed mid-write leaves its temporary file behind, named
//! after its pid; [`remove_stale_temp_files`] clears those of processes that are gone.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The directory and file name of `path`, for the temporary file beside it.
fn dir_and_name(path: &Path) -> (PathBuf, String) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    (dir, name)
}

pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (dir, name) = dir_and_name(path);
    let tmp = dir.join(format!(".{name}.teamtune-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            // Directory fsync makes the rename durable; some file systems refuse it.
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes the temporary files that [`atomic_write`] calls for `path` left behind in
/// processes that no longer run (killed between creating and renaming them); returns what
/// it removed. A file whose process may still be alive is left alone.
pub fn remove_stale_temp_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let (dir, name) = dir_and_name(path);
    let prefix = format!(".{name}.teamtune-");
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || process_may_be_alive(pid) {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => removed.push(entry.path()),
            // Another process cleaned it up first.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

/// Whether a process with this pid may be running. Where that cannot be told without
/// `/proc`, every process may be.
fn process_may_be_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.yaml");
        std::fs::write(&p, "old").unwrap();
        super::atomic_write(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn removes_temp_files_of_dead_processes_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.yaml");
        std::fs::write(&p, "file").unwrap();
        // A child that has exited and been waited for: its pid is free.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.path().join(format!(".w.yaml.teamtune-{dead}.tmp"));
        let live = dir
            .path()
            .join(format!(".w.yaml.teamtune-{}.tmp", std::process::id()));
        let other = dir.path().join(format!(".x.yaml.teamtune-{dead}.tmp"));
        for f in [&stale, &live, &other] {
            std::fs::write(f, "partial").unwrap();
        }
        let removed = super::remove_stale_temp_files(&p).unwrap();
        assert_eq!(removed, vec![stale.clone()]);
        assert!(!stale.exists() && live.exists() && other.exists());
    }
}
