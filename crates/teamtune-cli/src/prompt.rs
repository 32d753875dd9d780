//! Asking a human at a HITL gate (`--hitl prompt`). In a terminal (stdin and stderr both
//! terminals, tmux included) the question is asked with dialoguer; otherwise the question
//! goes to stderr and the answer is the next line of stdin, so
//! `echo y | teamtune run FILE --hitl prompt` answers a gate. Yes/no questions take a whole
//! line and only yes, y, no or n (any case); anything else asks again, so a stray word never
//! decides a release. At the end of stdin there is no answer: the gate's fallback applies,
//! and stderr says why.

use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use dialoguer::console::Term;
use dialoguer::{Input, Select};
use teamtune::HitlType;
use teamtune::{HitlAnswer, HitlRequest, HitlResponder};

const YES_NO: &str = "answer yes, y, no or n";

/// `yes`/`y` or `no`/`n` in any case, with surrounding blanks; anything else is no answer.
pub fn parse_yes_no(line: &str) -> Option<bool> {
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Some(true),
        "n" | "no" => Some(false),
        _ => None,
    }
}

fn question(req: &HitlRequest) -> String {
    if req.prompt.trim().is_empty() {
        "Continue?".to_string()
    } else {
        req.prompt.trim().to_string()
    }
}

fn header(req: &HitlRequest) -> Vec<String> {
    let mut lines = vec![format!(
        "== HITL gate `{}` ({:?}, {}s) ==",
        req.node_id, req.hitl_type, req.timeout_seconds
    )];
    lines.extend(req.context.iter().map(|(k, v)| format!("{k}: {v}")));
    lines
}

fn approval(yes: bool, comment: Option<String>) -> HitlAnswer {
    if yes {
        HitlAnswer::Approve { comment }
    } else {
        HitlAnswer::Reject { comment }
    }
}

/// Asks in the terminal.
pub struct TerminalResponder;

impl TerminalResponder {
    fn yes_no(term: &Term, prompt: &str) -> Option<bool> {
        let line: String = Input::new()
            .with_prompt(format!("{prompt} [y/n]"))
            .validate_with(|s: &String| parse_yes_no(s).map(|_| ()).ok_or(YES_NO))
            .interact_text_on(term)
            .ok()?;
        parse_yes_no(&line)
    }
}

impl HitlResponder for TerminalResponder {
    fn ask(&self, req: &HitlRequest) -> Option<HitlAnswer> {
        let term = Term::stderr();
        let _ = term.write_line("");
        for line in header(req) {
            let _ = term.write_line(&line);
        }
        let prompt = question(req);
        match req.hitl_type {
            HitlType::Approval | HitlType::Confirmation => {
                Some(approval(Self::yes_no(&term, &prompt)?, None))
            }
            HitlType::Review => {
                let yes = Self::yes_no(&term, &format!("{prompt}\nApprove?"))?;
                let comment: String = Input::new()
                    .with_prompt("Comments")
                    .allow_empty(true)
                    .interact_text_on(&term)
                    .ok()?;
                Some(approval(yes, (!comment.is_empty()).then_some(comment)))
            }
            HitlType::Choice => {
                let default = req
                    .default_value
                    .as_ref()
                    .and_then(|d| req.choices.iter().position(|c| c == d))
                    .unwrap_or(0);
                let i = Select::new()
                    .with_prompt(prompt)
                    .items(&req.choices)
                    .default(default)
                    .interact_on_opt(&term)
                    .ok()??;
                req.choices.get(i).cloned().map(HitlAnswer::Value)
            }
            HitlType::Input => {
                let mut input = Input::<String>::new().with_prompt(prompt).allow_empty(true);
                if let Some(d) = &req.default_value {
                    input = input.default(d.clone());
                }
                input.interact_text_on(&term).ok().map(HitlAnswer::Value)
            }
        }
    }
}

/// Asks on stderr and reads the answers from stdin, one line each.
pub struct LineResponder {
    /// Lines of stdin, read by a thread of their own so that a gate can give up waiting
    /// (its timeout, a stop); `None` once stdin has ended.
    lines: OnceLock<Mutex<Receiver<Option<String>>>>,
    /// The end of stdin has been reported.
    told_eof: AtomicBool,
}

/// How often a waiting gate looks whether the run was asked to stop.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Why a line did not come.
enum NoLine {
    Eof,
    GaveUp,
}

impl LineResponder {
    pub fn new() -> Self {
        LineResponder {
            lines: OnceLock::new(),
            told_eof: AtomicBool::new(false),
        }
    }

    fn receiver(&self) -> &Mutex<Receiver<Option<String>>> {
        self.lines.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let stdin = std::io::stdin();
                let mut lock = stdin.lock();
                loop {
                    let mut line = String::new();
                    match lock.read_line(&mut line) {
                        Ok(0) | Err(_) => {
                            let _ = tx.send(None);
                            return;
                        }
                        Ok(_) => {
                            if tx.send(Some(line)).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
            Mutex::new(rx)
        })
    }

    /// The next line of stdin, waiting until `deadline` at most, and no longer once a stop
    /// is requested.
    fn next_line(&self, deadline: Instant) -> Result<String, NoLine> {
        let rx = self.receiver().lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if teamtune::stop_requested().is_some() {
                return Err(NoLine::GaveUp);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(NoLine::GaveUp);
            }
            match rx.recv_timeout(left.min(STOP_POLL)) {
                Ok(Some(line)) => return Ok(line.trim_end_matches(['\n', '\r']).to_string()),
                Ok(None) | Err(RecvTimeoutError::Disconnected) => return Err(NoLine::Eof),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// The next line, or `None` after saying (once) why there is none.
    fn answer_line(&self, req: &HitlRequest, deadline: Instant) -> Option<String> {
        match self.next_line(deadline) {
            Ok(line) => Some(line),
            Err(NoLine::Eof) => {
                if !self.told_eof.swap(true, Ordering::Relaxed) {
                    anstream::eprintln!(
                        "teamtune: gate `{}` gets no answer: --hitl prompt reads answers from stdin, which is not a terminal and has ended; pipe them in (`echo y | teamtune run ...`) or use --hitl approve or --hitl reject. The gate's fallback applies.",
                        req.node_id
                    );
                }
                None
            }
            Err(NoLine::GaveUp) => None,
        }
    }

    fn yes_no(&self, req: &HitlRequest, prompt: &str, deadline: Instant) -> Option<bool> {
        loop {
            anstream::eprintln!("{prompt} [y/n]");
            let line = self.answer_line(req, deadline)?;
            match parse_yes_no(&line) {
                Some(yes) => return Some(yes),
                None => anstream::eprintln!("`{}`: {YES_NO}", line.trim()),
            }
        }
    }
}

impl HitlResponder for LineResponder {
    fn ask(&self, req: &HitlRequest) -> Option<HitlAnswer> {
        let deadline = Instant::now() + Duration::from_secs_f64(req.timeout_seconds.max(0.0));
        anstream::eprintln!();
        for line in header(req) {
            anstream::eprintln!("{line}");
        }
        let prompt = question(req);
        match req.hitl_type {
            HitlType::Approval | HitlType::Confirmation => {
                Some(approval(self.yes_no(req, &prompt, deadline)?, None))
            }
            HitlType::Review => {
                let yes = self.yes_no(req, &format!("{prompt} Approve?"), deadline)?;
                anstream::eprintln!("Comments (one line):");
                let comment = self.answer_line(req, deadline).unwrap_or_default();
                let comment = comment.trim().to_string();
                Some(approval(yes, (!comment.is_empty()).then_some(comment)))
            }
            HitlType::Choice => loop {
                anstream::eprintln!("{prompt} [{}]", req.choices.join(", "));
                let line = self.answer_line(req, deadline)?;
                let line = line.trim();
                if line.is_empty()
                    && let Some(d) = &req.default_value
                {
                    return Some(HitlAnswer::Value(d.clone()));
                }
                if let Some(c) = req.choices.iter().find(|c| c.as_str() == line) {
                    return Some(HitlAnswer::Value(c.clone()));
                }
                anstream::eprintln!("`{line}`: answer one of {}", req.choices.join(", "));
            },
            HitlType::Input => {
                anstream::eprintln!("{prompt}");
                let line = self.answer_line(req, deadline)?;
                match (line.is_empty(), &req.default_value) {
                    (true, Some(d)) => Some(HitlAnswer::Value(d.clone())),
                    _ => Some(HitlAnswer::Value(line)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_yes_no;

    #[test]
    fn only_whole_yes_or_no_answers() {
        for yes in ["y", "Y", "yes", "YES", " Yes \n"] {
            assert_eq!(parse_yes_no(yes), Some(true), "{yes:?}");
        }
        for no in ["n", "N", "no", "No"] {
            assert_eq!(parse_yes_no(no), Some(false), "{no:?}");
        }
        for other in ["maybe", "", "yeah", "ye", "y es", "nope", "1"] {
            assert_eq!(parse_yes_no(other), None, "{other:?}");
        }
    }
}
