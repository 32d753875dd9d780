//! Exit codes and the one error type of the binary.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Done = 0,
    NotSucceeded = 1,
    BadInput = 2,
}

impl From<Code> for ExitCode {
    fn from(c: Code) -> ExitCode {
        ExitCode::from(c as u8)
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
