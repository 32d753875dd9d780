//! `teamtune._native`, the extension module of the `teamtune` Python package: the Rust
//! library's [`teamtune::Autotuner`] as the `Tuner` class (`tuner`), which the package's
//! Python modules (`teamtune.autotuner`, the seed's `teamtune.performance_autotuner`, the
//! recording helpers) wrap in typed objects. Nothing here reimplements the library: each
//! method converts arguments, calls the facade without the GIL and stoppable with Ctrl-C
//! (`blocking`), and hands back the JSON the CLI's `--json` prints. Errors become the
//! exceptions of `teamtune.errors` (`errors`) with the CLI's messages; no panic crosses
//! into Python (the work runs on a thread whose panic is reported as an error).

mod blocking;
mod described;
mod errors;
mod recording;
mod tuner;

use pyo3::prelude::*;

/// Asks every running call to stop as Ctrl-C does (for calls made from other threads, whose
/// signals Python does not see: an asyncio task that was cancelled).
#[pyfunction]
fn request_stop() {
    teamtune::request_stop(teamtune::Signal::Interrupt);
}

/// Forgets a stop request once the calls it stopped have ended.
#[pyfunction]
fn clear_stop() {
    teamtune::clear_stop();
}

/// Victor's fixed baselines (the seed's `PerformanceAnalyzer` defaults), as JSON.
#[pyfunction]
fn victor_baselines() -> PyResult<String> {
    serde_json::to_string(&teamtune::Baselines::default())
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
}

/// A workflow document (JSON text of the parsed file, as the seed's callers hold it) as
/// block-style YAML, which teamtune's comment-keeping editor can change in place.
#[pyfunction]
fn workflow_yaml(document_json: &str) -> PyResult<String> {
    let value: serde_json::Value = serde_json::from_str(document_json)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("workflow document: {e}")))?;
    yaml_serde::to_string(&value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("workflow document: {e}")))
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tuner::Tuner>()?;
    m.add_function(wrap_pyfunction!(request_stop, m)?)?;
    m.add_function(wrap_pyfunction!(clear_stop, m)?)?;
    m.add_function(wrap_pyfunction!(victor_baselines, m)?)?;
    m.add_function(wrap_pyfunction!(workflow_yaml, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
