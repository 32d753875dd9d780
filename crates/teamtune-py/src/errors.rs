//! The library's errors as Python exceptions. The message is the CLI's (the error and its
//! hint); the class says what kind of cause it is, as `teamtune.errors` defines them:
//! `InputError` (and its subclasses) where the CLI exits 2, `TeamtuneError` where it exits
//! 1, and the interrupted batch as `KeyboardInterrupt`.

use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use teamtune::{Error, LoadError};

/// The Python class (in `teamtune.errors`) for an error.
fn class_name(e: &Error) -> &'static str {
    match e {
        Error::Load(_) | Error::Located { .. } => "WorkflowError",
        Error::NoStore { .. } | Error::NoRuns { .. } | Error::NoRunsInScope { .. } => "NoRunsError",
        Error::TeamNotFound(_) | Error::AmbiguousTeam { .. } | Error::NoTeam { .. } => {
            "TeamNotFoundError"
        }
        Error::NoHistory { .. }
        | Error::HistoryIndex { .. }
        | Error::NothingToRollBack { .. }
        | Error::FileChanged { .. } => "HistoryError",
        Error::Store(_) | Error::PartlyRecorded { .. } if e.is_user_error() => "BadStoreError",
        Error::Store(_) | Error::PartlyRecorded { .. } => "StoreError",
        _ if e.is_user_error() => "InputError",
        _ => "TeamtuneError",
    }
}

/// The file an error names, when it names one by itself.
fn path_of(e: &Error) -> Option<String> {
    match e {
        Error::NoStore { location } => Some(location.clone()),
        Error::Input { path, .. }
        | Error::Located { path, .. }
        | Error::AmbiguousTeam { path, .. }
        | Error::NoTeam { path }
        | Error::FileChanged { path, .. }
        | Error::SuggestionFile { path, .. }
        | Error::Edit { path, .. } => Some(path.display().to_string()),
        Error::Load(LoadError::Io { path, .. } | LoadError::Invalid { path, .. }) => {
            Some(path.display().to_string())
        }
        _ => None,
    }
}

/// The Python exception for `e`: the CLI's message, the class for its kind, and the file it
/// names as `path`.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let message = match e.hint() {
        Some(hint) => format!("{e}\n  hint: {hint}"),
        None => e.to_string(),
    };
    if matches!(e, Error::Interrupted { .. }) {
        return PyKeyboardInterrupt::new_err(message);
    }
    let name = class_name(&e);
    let made = (|| -> PyResult<PyErr> {
        let class = py.import("teamtune.errors")?.getattr(name)?;
        let exc = class.call1((message.clone(),))?;
        if let Some(path) = path_of(&e) {
            exc.setattr("path", path)?;
        }
        Ok(PyErr::from_value(exc))
    })();
    // Only a broken installation lacks `teamtune.errors`; the message still gets through.
    made.unwrap_or_else(|_| PyRuntimeError::new_err(message))
}

/// An argument the Python layer passed that the library cannot use, as `InputError`.
pub fn input(py: Python<'_>, message: impl Into<String>) -> PyErr {
    let message = message.into();
    let made = (|| -> PyResult<PyErr> {
        let class = py.import("teamtune.errors")?.getattr("InputError")?;
        Ok(PyErr::from_value(class.call1((message.clone(),))?))
    })();
    made.unwrap_or_else(|_| PyRuntimeError::new_err(message))
}
