//! Exit codes and the one error type of the binary: 0 done, 1 the work ran but did not
//! succeed, 2 bad input or usage, 128 + N stopped by signal N (130 SIGINT, 143 SIGTERM,
//! 129 SIGHUP), as a shell reports a process the signal ended.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Done,
    NotSucceeded,
    BadInput,
    /// Stopped cleanly on a signal.
    Stopped(teamtune::Signal),
}

impl From<Code> for ExitCode {
    fn from(c: Code) -> ExitCode {
        ExitCode::from(match c {
            Code::Done => 0,
            Code::NotSucceeded => 1,
            Code::BadInput => 2,
            Code::Stopped(signal) => signal.exit_code(),
        })
    }
}

/// A command's failure: bad input (exit 2) or work that failed (exit 1).
#[derive(Debug)]
pub struct CliError {
    code: Code,
    message: String,
}

impl CliError {
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            code: Code::BadInput,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        CliError {
            code: Code::NotSucceeded,
            message: message.into(),
        }
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn report(&self) {
        anstream::eprintln!("teamtune: {}", self.message);
    }
}

impl From<teamtune::Error> for CliError {
    fn from(e: teamtune::Error) -> Self {
        let message = match e.hint() {
            Some(hint) => format!("{e}\n  hint: {hint}"),
            None => e.to_string(),
        };
        if let teamtune::Error::Interrupted { signal } = e {
            return CliError {
                code: Code::Stopped(signal),
                message,
            };
        }
        if e.is_user_error() {
            CliError::input(message)
        } else {
            CliError::failed(message)
        }
    }
}

impl From<teamtune::StoreError> for CliError {
    fn from(e: teamtune::StoreError) -> Self {
        teamtune::Error::from(e).into()
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::failed(e.to_string())
    }
}

pub type CliResult<T = Code> = Result<T, CliError>;
