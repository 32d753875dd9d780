//! Child processes run without a shell, in their own process group. Dropping the guard (on
//! completion, timeout or cancellation) kills the whole group, so a member's grandchildren
//! die with it.

use std::process::Stdio;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

pub(crate) struct Output {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

struct GroupGuard(Option<i32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            kill_group(pgid);
        }
    }
}

#[allow(unsafe_code)]
fn kill_group(pgid: i32) {
    if pgid > 0 {
        // SAFETY: kill(2) with a negative pid signals the process group; it has no memory
        // effects. ESRCH (group already gone) is fine.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
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
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let _guard = GroupGuard(child.id().and_then(|id| i32::try_from(id).ok()));
    let mut child_stdin = child.stdin.take();
    let mut stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let mut stderr = child.stderr.take().ok_or("no stderr pipe")?;
    let write = async {
        if let Some(mut s) = child_stdin.take() {
            // A child that does not read its stdin closes the pipe: not an error.
            let _ = s.write_all(stdin).await;
            let _ = s.shutdown().await;
        }
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let (_, r1, r2) = tokio::join!(
        write,
        stdout.read_to_end(&mut out),
        stderr.read_to_end(&mut err)
    );
    r1.map_err(|e| format!("reading stdout of `{program}`: {e}"))?;
    r2.map_err(|e| format!("reading stderr of `{program}`: {e}"))?;
    let status = child
        .wait()
        .await
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
