//! Child processes run without a shell, in their own process group. A member's answer is
//! complete when its own process exits: its group is killed at once (background children
//! it left holding stdout would otherwise keep the pipe open for as long as they live), what
//! is still in the pipes is read, and the turn ends. Dropping the guard (on completion,
//! timeout or cancellation) kills the whole group too, so a member's grandchildren die with
//! it. Processes that leave the group (`setsid`) are the business of [`super::descendants`].

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::descendants;

/// How long the pipes are read after the member's process exited and its group was killed.
/// Only a process that left the group (and inherited the pipes) can hold them open longer;
/// what was written before the exit is already in the pipes and reads at once.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(250);

pub(crate) struct Output {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Kills the member's process group when dropped, and takes it off the list of running
/// members.
struct GroupGuard(Option<i32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            descendants::kill_group(pgid);
            descendants::forget_member(pgid);
        }
    }
}

/// How the wait for a member ended first.
enum First<Io> {
    /// The pipes reached their end (and stdin was written).
    Io(Io),
    /// The member's own process exited.
    Exited(std::io::Result<std::process::ExitStatus>),
}

/// Runs `argv` with `stdin` written to it and collects its output. Errors are spawn
/// failures, as a message naming the program.
pub(crate) async fn run(argv: &[String], stdin: &[u8]) -> Result<Output, String> {
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child =
        descendants::spawn_member(&mut cmd).map_err(|e| format!("cannot run `{program}`: {e}"))?;
    // The child leads its own group: its pid is the group id.
    let pgid = child.id().and_then(|id| i32::try_from(id).ok());
    let _guard = GroupGuard(pgid);
    let mut child_stdin = child.stdin.take();
    let mut stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let mut stderr = child.stderr.take().ok_or("no stderr pipe")?;
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = {
        let io = async {
            let write = async {
                if let Some(mut s) = child_stdin.take() {
                    // A child that does not read its stdin closes the pipe: not an error.
                    let _ = s.write_all(stdin).await;
                    let _ = s.shutdown().await;
                }
            };
            let (_, r1, r2) = tokio::join!(
                write,
                stdout.read_to_end(&mut out),
                stderr.read_to_end(&mut err)
            );
            (r1, r2)
        };
        tokio::pin!(io);
        let first = tokio::select! {
            r = &mut io => First::Io(r),
            s = child.wait() => First::Exited(s),
        };
        match first {
            First::Io((r1, r2)) => {
                r1.map_err(|e| format!("reading stdout of `{program}`: {e}"))?;
                r2.map_err(|e| format!("reading stderr of `{program}`: {e}"))?;
                child.wait().await
            }
            First::Exited(status) => {
                if let Some(pgid) = pgid {
                    descendants::kill_group(pgid);
                }
                // Read what is buffered; a process outside the group that still holds the
                // pipes does not hold the turn. `read_to_end` keeps what it read when it is
                // cut short.
                if let Ok((r1, r2)) = tokio::time::timeout(DRAIN_AFTER_EXIT, &mut io).await {
                    r1.map_err(|e| format!("reading stdout of `{program}`: {e}"))?;
                    r2.map_err(|e| format!("reading stderr of `{program}`: {e}"))?;
                }
                status
            }
        }
    }
    .map_err(|e| format!("waiting for `{program}`: {e}"))?;
    Ok(Output {
        success: status.success(),
        code: status.code(),
        stdout: out,
        stderr: err,
    })
}

/// The last lines of stderr, for failure reasons.
pub(crate) fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(3);
    let t = lines[start..].join(" | ");
    if t.chars().count() > 400 {
        t.chars()
            .rev()
            .take(400)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect()
    } else {
        t
    }
}
