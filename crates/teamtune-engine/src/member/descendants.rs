//! The processes members leave behind. Each member runs in its own process group, which is
//! killed when its turn ends; a process that starts its own session (`setsid`) leaves that
//! group and would outlive the turn, re-parented to init. [`adopt_orphans`] makes this
//! process their subreaper instead (Linux: `PR_SET_CHILD_SUBREAPER`), so they stay among its
//! descendants, where [`kill_orphans`] finds and kills them. Elsewhere adoption is not
//! available and such processes escape (docs/design.md says so).
//!
//! Members are registered while they run, so a sweep never touches a running member's
//! process tree; a sweep and a spawn take the same lock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Whether this process adopts orphaned descendants (set by [`adopt_orphans`]).
static ADOPTING: AtomicBool = AtomicBool::new(false);

/// Process group ids (= pids of the group leaders) of the members running now.
static RUNNING: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Rounds of kill-and-reap a sweep makes before it gives up on a process that will not die.
const SWEEP_ROUNDS: usize = 50;
const SWEEP_PAUSE: Duration = Duration::from_millis(10);

fn running() -> MutexGuard<'static, BTreeSet<i32>> {
    RUNNING.lock().unwrap_or_else(|p| p.into_inner())
}

/// Spawns a member's process and registers it as running until [`forget_member`].
pub(crate) fn spawn_member(
    cmd: &mut tokio::process::Command,
) -> std::io::Result<tokio::process::Child> {
    let mut members = running();
    let child = cmd.spawn()?;
    if let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) {
        members.insert(pid);
    }
    Ok(child)
}

/// The member whose group is `pgid` has ended.
pub(crate) fn forget_member(pgid: i32) {
    running().remove(&pgid);
}

#[allow(unsafe_code)]
pub(crate) fn kill_group(pgid: i32) {
    if pgid > 0 {
        // SAFETY: kill(2) with a negative pid signals the process group; it has no memory
        // effects. ESRCH (group already gone) is fine.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

#[allow(unsafe_code)]
fn kill_process(pid: i32) {
    if pid > 0 {
        // SAFETY: kill(2) on one pid; no memory effects. ESRCH is fine.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// Collects the exit status of child `pid` if it has ended (a zombie).
#[allow(unsafe_code)]
fn reap(pid: i32) {
    let mut status = 0;
    // SAFETY: waitpid(2) on one pid with WNOHANG writes only to `status`, a local.
    unsafe {
        libc::waitpid(pid, &mut status, libc::WNOHANG);
    }
}

/// Makes this process the subreaper of its descendants, so processes that leave a member's
/// group stay within reach of [`kill_orphans`]. Returns whether that is in effect (it is on
/// Linux; elsewhere it is not available). Process-wide and permanent: for programs whose
/// only children are members (the command line), not for a library inside a larger one.
#[allow(unsafe_code)]
pub fn adopt_orphans() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(2) PR_SET_CHILD_SUBREAPER takes an integer flag and touches no
        // memory of ours.
        let ok = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } == 0;
        if ok {
            ADOPTING.store(true, Ordering::Relaxed);
        }
        ok
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Kills every descendant of this process that is not part of a running member (what
/// members left behind), and collects the exit status of those that were its children.
/// Returns how many processes it killed. Does nothing unless [`adopt_orphans`] is in effect:
/// without it such processes are not descendants any more.
pub fn kill_orphans() -> usize {
    if !ADOPTING.load(Ordering::Relaxed) {
        return 0;
    }
    sweep(false)
}

/// Kills every member process group and every descendant of this process: for a program
/// that is about to exit at once (a second Ctrl-C). Returns how many processes it killed
/// besides the groups.
pub fn kill_all_member_processes() -> usize {
    for &pgid in running().iter() {
        kill_group(pgid);
    }
    sweep(true)
}

fn sweep(members_too: bool) -> usize {
    let me = i32::try_from(std::process::id()).unwrap_or(0);
    let mut killed = BTreeSet::new();
    for _ in 0..SWEEP_ROUNDS {
        let members = running();
        let table = process_table();
        let spared: BTreeSet<i32> = if members_too {
            BTreeSet::new()
        } else {
            members.clone()
        };
        let found = descendants(me, &table, &spared);
        if found.is_empty() {
            break;
        }
        for &pid in &found {
            match table.get(&pid) {
                Some(p) if p.zombie => {
                    if p.ppid == me {
                        reap(pid);
                    }
                }
                _ => {
                    kill_process(pid);
                    killed.insert(pid);
                }
            }
        }
        drop(members);
        std::thread::sleep(SWEEP_PAUSE);
    }
    killed.len()
}

struct ProcessInfo {
    ppid: i32,
    zombie: bool,
}

/// Every process's parent and whether it is a zombie, from /proc (empty where there is no
/// /proc).
fn process_table() -> BTreeMap<i32, ProcessInfo> {
    let mut table = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return table;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        // A process may end between the listing and the read: skip it.
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat"))
            && let Some(info) = parse_stat(&stat)
        {
            table.insert(pid, info);
        }
    }
    table
}

/// Parses `/proc/PID/stat`: `pid (comm) state ppid ...`. The command name may hold spaces
/// and parentheses, so the fields are read after the last `)`.
fn parse_stat(stat: &str) -> Option<ProcessInfo> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some(ProcessInfo {
        ppid,
        zombie: state == "Z" || state == "X",
    })
}

/// The descendants of `root`, leaving out the subtrees of `spared` pids.
fn descendants(root: i32, table: &BTreeMap<i32, ProcessInfo>, spared: &BTreeSet<i32>) -> Vec<i32> {
    let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for (&pid, info) in table {
        children.entry(info.ppid).or_default().push(pid);
    }
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(p) = queue.pop() {
        for &c in children.get(&p).map(Vec::as_slice).unwrap_or_default() {
            if c != root && !spared.contains(&c) {
                found.push(c);
                queue.push(c);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names() {
        let p = parse_stat("42 (a (b) c) S 7 42 42 0 -1").unwrap();
        assert_eq!((p.ppid, p.zombie), (7, false));
        let z = parse_stat("43 (sh) Z 1 43 43").unwrap();
        assert!(z.zombie);
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn descendants_skip_spared_subtrees() {
        let t: BTreeMap<i32, ProcessInfo> = [(10, 1), (11, 10), (12, 11), (13, 10), (14, 13)]
            .into_iter()
            .map(|(pid, ppid)| {
                (
                    pid,
                    ProcessInfo {
                        ppid,
                        zombie: false,
                    },
                )
            })
            .collect();
        let mut d = descendants(10, &t, &BTreeSet::from([13]));
        d.sort_unstable();
        assert_eq!(d, vec![11, 12]);
    }
}
