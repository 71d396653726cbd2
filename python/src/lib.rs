//! `engram._engram`: the native half of the Python package. Every function here is a thin
//! layer over `engram::query` (the same functions the command line calls), taking flat
//! float64 arrays (the Python half broadcasts them) and returning tables as dicts of columns
//! (`engram::io::columns`, the same typed rows as the CSV). Long calls run with the GIL
//! released, on a worker thread, while the calling thread wakes every 50 ms to report progress
//! to a Python callback and to check for Ctrl-C (then `engram::interrupt::request`, and the
//! call raises `KeyboardInterrupt` as soon as the work has stopped).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use engram::error::EngramError;
use engram::io::columns::{columns, Column};
use engram::query;

/// An engram error as the Python exception of its kind, with the command line's message.
fn py_err(e: EngramError) -> PyErr {
    let msg = e.to_string();
    match e {
        EngramError::InvalidParameter { .. }
        | EngramError::BadList { .. }
        | EngramError::Config(_)
        | EngramError::Invalid(_) => PyValueError::new_err(msg),
        EngramError::OutOfMemory { .. } => PyMemoryError::new_err(msg),
        EngramError::Interrupted => PyKeyboardInterrupt::new_err(msg),
        EngramError::NoConvergence { .. } | EngramError::Io(_) | EngramError::Refused(_) => {
            PyRuntimeError::new_err(msg)
        }
    }
}

fn value_err(msg: String) -> PyErr {
    PyValueError::new_err(msg)
}

/// A table of typed rows as a dict {column: numpy array (text columns: list of str)}.
fn table<'py, R: serde::Serialize + serde::de::DeserializeOwned>(
    py: Python<'py>,
    rows: &[R],
) -> PyResult<Bound<'py, PyDict>> {
    dict_of(py, columns(rows).map_err(py_err)?)
}

fn dict_of(py: Python<'_>, cols: Vec<(String, Column)>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    for (name, col) in cols {
        match col {
            Column::Float(v) => d.set_item(name, v.into_pyarray(py))?,
            Column::Int(v) => d.set_item(name, v.into_pyarray(py))?,
            Column::Bool(v) => d.set_item(name, v.into_pyarray(py))?,
            Column::Text(v) => d.set_item(name, PyList::new(py, v)?)?,
        }
    }
    Ok(d)
}

fn ensemble(name: &str) -> PyResult<engram::ensembles::EnsembleKind> {
    name.parse().map_err(py_err)
}

fn slice<'a>(a: &'a PyReadonlyArray1<'_, f64>, name: &str) -> PyResult<&'a [f64]> {
    a.as_slice().map_err(|_| {
        value_err(format!(
            "invalid {name}: expected a contiguous float64 array"
        ))
    })
}

/// Progress counters shared by the worker and the reporting thread.
#[derive(Default)]
struct Counter {
    done: AtomicU64,
    total: AtomicU64,
}

impl Counter {
    fn tick(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
    fn add(&self, n: u64) {
        self.total.fetch_add(n, Ordering::Relaxed);
    }
}

/// Run `f` with the GIL released on a worker thread; every 50 ms (and once at the end) report (done, total) to
/// `progress` (a Python callable, or None) and check for signals. Ctrl-C interrupts the work
/// (engram::interrupt) and raises KeyboardInterrupt once the work has stopped; an exception of
/// the progress callback stops the work the same way and is raised.
fn blocking<T: Send>(
    py: Python<'_>,
    progress: Option<&PyObject>,
    total: u64,
    f: impl FnOnce(&Arc<Counter>) -> engram::Result<T> + Send,
) -> PyResult<T> {
    let counter = Arc::new(Counter::default());
    counter.add(total);
    let mut raised: Option<PyErr> = None;
    let result = py.allow_threads(|| {
        std::thread::scope(|s| {
            // the worker says when it is done, so the call returns at once, not at the next tick
            let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
            let c = &counter;
            let worker = s.spawn(move || {
                let r = f(c);
                let _ = done_tx.send(());
                r
            });
            let mut reported = (u64::MAX, u64::MAX);
            let mut finished = false;
            loop {
                Python::with_gil(|py| {
                    if raised.is_none() {
                        if let Err(e) = py.check_signals() {
                            engram::interrupt::request();
                            raised = Some(e);
                        }
                    }
                    let now = (
                        counter.done.load(Ordering::Relaxed),
                        counter.total.load(Ordering::Relaxed),
                    );
                    if let (Some(cb), None) = (progress, &raised) {
                        if now != reported || finished {
                            reported = now;
                            if let Err(e) = cb.call1(py, now) {
                                engram::interrupt::request();
                                raised = Some(e);
                            }
                        }
                    }
                });
                if finished {
                    break;
                }
                use std::sync::mpsc::RecvTimeoutError;
                match done_rx.recv_timeout(std::time::Duration::from_millis(50)) {
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => finished = true,
                    Err(RecvTimeoutError::Timeout) => {}
                }
            }
            worker.join()
        })
    });
    if raised.is_some() {
        engram::interrupt::clear();
    }
    match (result, raised) {
        (_, Some(e)) => Err(e),
        (Ok(r), None) => r.map_err(py_err),
        (Err(panic), None) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(PyRuntimeError::new_err(format!(
                "internal error (a bug of engram, please report it): {what}"
            )))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DAM theory (docs/theory.md#rem to #scaled, #fold)

#[pyfunction]
fn thresholds<'py>(
    py: Python<'py>,
    ensemble_name: &str,
    lam: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let k = ensemble(ensemble_name)?;
    let l = slice(&lam, "lam")?;
    let rows = py
        .allow_threads(|| query::dam::thresholds(k, l))
        .map_err(py_err)?;
    table(py, &rows)
}

#[pyfunction]
fn alpha_1<'py>(
    py: Python<'py>,
    ensemble_name: &str,
    lam: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
    let k = ensemble(ensemble_name)?;
    let l = slice(&lam, "lam")?;
    let v = py
        .allow_threads(|| query::dam::alpha_1(k, l))
        .map_err(py_err)?;
    Ok(v.into_pyarray(py))
}

/// The validated REM points of broadcast (α, λ, r) arrays (r = None: ρ₁).
fn rem_points(
    ensemble_name: &str,
    alpha: &PyReadonlyArray1<'_, f64>,
    lam: &PyReadonlyArray1<'_, f64>,
    r: Option<&PyReadonlyArray1<'_, f64>>,
) -> PyResult<(engram::ensembles::EnsembleKind, Vec<engram::rem::RemPoint>)> {
    let k = ensemble(ensemble_name)?;
    let r = r.map(|a| slice(a, "r")).transpose()?;
    let pts =
        query::dam::rem_points(k, slice(alpha, "alpha")?, slice(lam, "lam")?, r).map_err(py_err)?;
    Ok((k, pts))
}

#[pyfunction]
#[pyo3(signature = (ensemble_name, alpha, lam, r=None))]
fn rem<'py>(
    py: Python<'py>,
    ensemble_name: &str,
    alpha: PyReadonlyArray1<'py, f64>,
    lam: PyReadonlyArray1<'py, f64>,
    r: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (k, pts) = rem_points(ensemble_name, &alpha, &lam, r.as_ref())?;
    let rows = py
        .allow_threads(|| query::dam::rem(k, &pts))
        .map_err(py_err)?;
    table(py, &rows)
}

#[pyfunction]
#[pyo3(signature = (ensemble_name, alpha, lam, r=None))]
fn basin<'py>(
    py: Python<'py>,
    ensemble_name: &str,
    alpha: PyReadonlyArray1<'py, f64>,
    lam: PyReadonlyArray1<'py, f64>,
    r: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (k, pts) = rem_points(ensemble_name, &alpha, &lam, r.as_ref())?;
    let rows = py
        .allow_threads(|| query::dam::basin(k, &pts))
        .map_err(py_err)?;
    table(py, &rows)
}

#[pyfunction]
fn lambda_c<'py>(
    py: Python<'py>,
    ensemble_name: &str,
    alpha: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let k = ensemble(ensemble_name)?;
    let a = slice(&alpha, "alpha")?;
    let rows = py
        .allow_threads(|| query::dam::lambda_c(k, a))
        .map_err(py_err)?;
    table(py, &rows)
}

#[pyfunction]
#[pyo3(signature = (ensemble_name, beta, n=None))]
fn scaled<'py>(
    py: Python<'py>,
    ensemble_name: &str,
    beta: PyReadonlyArray1<'py, f64>,
    n: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let k = ensemble(ensemble_name)?;
    let b = slice(&beta, "beta")?;
    let pts: Vec<(f64, Option<f64>)> = match &n {
        None => b.iter().map(|&x| (x, None)).collect(),
        Some(n) => b
            .iter()
            .zip(slice(n, "n")?)
            .map(|(&x, &m)| (x, Some(m)))
            .collect(),
    };
    let rows = query::dam::scaled(k, &pts).map_err(py_err)?;
    table(py, &rows)
}

#[pyfunction]
#[pyo3(signature = (ensemble_name, lam, n, samples, target_norm, eta, max_steps, xtol, threshold, seed, max_patterns, max_hours, progress=None))]
#[allow(clippy::too_many_arguments)]
fn finite_size<'py>(
    py: Python<'py>,
    ensemble_name: &str,
    lam: f64,
    n: PyReadonlyArray1<'py, f64>,
    samples: usize,
    target_norm: Option<f64>,
    eta: f64,
    max_steps: usize,
    xtol: f64,
    threshold: f64,
    seed: u64,
    max_patterns: usize,
    max_hours: f64,
    progress: Option<PyObject>,
) -> PyResult<Bound<'py, PyDict>> {
    use query::dam::{Dynamics, FiniteSizeSpec};
    let spec = FiniteSizeSpec {
        kind: ensemble(ensemble_name)?,
        lambda: lam,
        samples,
        target_norm,
        dynamics: Dynamics {
            eta,
            max_steps,
            xtol,
            threshold,
        },
        seed,
        max_patterns,
        max_hours,
    };
    let ns = slice(&n, "n")?;
    let rows = blocking(py, progress.as_ref(), 0, |c| {
        query::dam::finite_size(&spec, ns, &|_, draws| c.add(draws as u64), &|| c.tick())
    })?;
    table(py, &rows)
}

// ---------------------------------------------------------------------------------------------
// The energy and its descent on user arrays (docs/theory.md#dam)

fn matrix<'a>(a: &'a PyReadonlyArray2<'_, f64>, name: &str) -> PyResult<(&'a [f64], usize)> {
    let cols = a.shape()[1];
    let s = a.as_slice().map_err(|_| {
        value_err(format!(
            "invalid {name}: expected a C-contiguous float64 array"
        ))
    })?;
    Ok((s, cols))
}

fn patterns<'a>(p: &'a PyReadonlyArray2<'_, f64>) -> PyResult<engram::dam::energy::Patterns<'a>> {
    let (data, n) = matrix(p, "patterns")?;
    engram::dam::energy::Patterns::new(data, n).map_err(py_err)
}

fn states<'a>(x: &'a PyReadonlyArray2<'_, f64>) -> PyResult<Vec<&'a [f64]>> {
    let (data, n) = matrix(x, "x")?;
    if n == 0 {
        return Err(value_err("invalid x: states of N = 0 components".into()));
    }
    Ok(data.chunks_exact(n).collect())
}

#[pyfunction]
fn energy<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    pats: PyReadonlyArray2<'py, f64>,
    lam: f64,
) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
    use rayon::prelude::*;
    let pat = patterns(&pats)?;
    let xs = states(&x)?;
    let e = py
        .allow_threads(|| {
            xs.par_iter()
                .map(|x| engram::dam::energy::energy(x, &pat, lam))
                .collect::<engram::Result<Vec<f64>>>()
        })
        .map_err(py_err)?;
    Ok(e.into_pyarray(py))
}

#[pyfunction]
fn step<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    pats: PyReadonlyArray2<'py, f64>,
    lam: f64,
    eta: f64,
) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
    use rayon::prelude::*;
    let pat = patterns(&pats)?;
    let xs = states(&x)?;
    let y = py
        .allow_threads(|| {
            xs.par_iter()
                .map(|x| engram::dam::energy::step(x, &pat, lam, eta))
                .collect::<engram::Result<Vec<Vec<f64>>>>()
        })
        .map_err(py_err)?;
    Ok(y.concat().into_pyarray(py))
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn descent<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    pats: PyReadonlyArray2<'py, f64>,
    lam: f64,
    eta: f64,
    max_steps: usize,
    xtol: f64,
) -> PyResult<Bound<'py, PyDict>> {
    use rayon::prelude::*;
    let pat = patterns(&pats)?;
    let xs = states(&x)?;
    let runs = blocking(py, None, 0, |_| {
        xs.par_iter()
            .map(|x| {
                engram::interrupt::check()?;
                engram::dam::energy::descent(x, &pat, lam, eta, max_steps, xtol)
            })
            .collect::<engram::Result<Vec<_>>>()
    })?;
    let d = PyDict::new(py);
    let flat: Vec<f64> = runs.iter().flat_map(|r| r.x.iter().copied()).collect();
    d.set_item("x", flat.into_pyarray(py))?;
    let steps: Vec<i64> = runs.iter().map(|r| r.steps as i64).collect();
    d.set_item("steps", steps.into_pyarray(py))?;
    let conv: Vec<bool> = runs.iter().map(|r| r.converged).collect();
    d.set_item("converged", conv.into_pyarray(py))?;
    let e: Vec<f64> = runs.iter().map(|r| r.energy).collect();
    d.set_item("energy", e.into_pyarray(py))?;
    Ok(d)
}

// ---------------------------------------------------------------------------------------------
// The DAM simulators (docs/theory.md#simulator)

#[pyfunction]
#[pyo3(signature = (ensemble_name, n, alpha, lam, cosine, samples, eta, max_steps, xtol, threshold, r, seed, memory_gib, targets, target_norm, store, streams, max_hours, progress=None))]
#[allow(clippy::too_many_arguments)]
fn simulate<'py>(
    py: Python<'py>,
    ensemble_name: &str,
    n: PyReadonlyArray1<'py, f64>,
    alpha: PyReadonlyArray1<'py, f64>,
    lam: PyReadonlyArray1<'py, f64>,
    cosine: Option<PyReadonlyArray1<'py, f64>>,
    samples: usize,
    eta: f64,
    max_steps: usize,
    xtol: f64,
    threshold: f64,
    r: Option<f64>,
    seed: u64,
    memory_gib: f64,
    targets: &str,
    target_norm: Option<f64>,
    store: &str,
    streams: &str,
    max_hours: f64,
    progress: Option<PyObject>,
) -> PyResult<Bound<'py, PyDict>> {
    use engram::dam::batch::Batch;
    use query::dam::{Dynamics, SimGrid};
    let kind = ensemble(ensemble_name)?;
    let parse = |name: &str, e: String| value_err(format!("invalid {name}: {e}"));
    if !(max_hours > 0.0 && max_hours.is_finite()) {
        return Err(value_err(format!(
            "invalid max_hours = {max_hours}: expected a finite number of hours > 0"
        )));
    }
    let batch = Batch {
        targets: targets.parse().map_err(|e| parse("targets", e))?,
        target_norm,
        precision: store.parse().map_err(|e| parse("store", e))?,
        streams: streams.parse().map_err(|e| parse("streams", e))?,
        max_seconds: max_hours * 3600.0,
    };
    let grid = SimGrid::new(kind, batch, samples, memory_gib).map_err(py_err)?;
    let d = Dynamics {
        eta,
        max_steps,
        xtol,
        threshold,
    };
    let (ns, als, ls) = (
        slice(&n, "n")?,
        slice(&alpha, "alpha")?,
        slice(&lam, "lam")?,
    );
    let cs = cosine.as_ref().map(|c| slice(c, "cosine")).transpose()?;
    let mut points = Vec::with_capacity(ns.len());
    for i in 0..ns.len() {
        let start = query::dam::start(kind, cs.map(|c| c[i]), r).map_err(py_err)?;
        points.push(
            grid.point(ns[i], als[i], ls[i], start, seed, d)
                .map_err(py_err)?,
        );
    }
    let total = grid.total_targets(&points) as u64;
    let (_, rows) = blocking(py, progress.as_ref(), total, |c| {
        query::dam::simulate(&grid, &points, &|| c.tick())
    })?;
    table(py, &rows)
}

// ---------------------------------------------------------------------------------------------
// IDP (docs/theory.md#idp, #sequence)

fn activation(name: &str, gain: f64) -> PyResult<engram::idp::Activation> {
    engram::idp::parse_activation(name, gain).map_err(py_err)
}

#[pyfunction]
fn idp_fixed_point<'py>(
    py: Python<'py>,
    saliency: PyReadonlyArray1<'py, f64>,
    gain: PyReadonlyArray1<'py, f64>,
    sigma: PyReadonlyArray1<'py, f64>,
    activation_name: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let (a, g, s) = (
        slice(&saliency, "saliency")?,
        slice(&gain, "gain")?,
        slice(&sigma, "sigma")?,
    );
    let pts = (0..a.len())
        .map(|i| Ok((a[i], activation(activation_name, g[i])?, s[i])))
        .collect::<PyResult<Vec<_>>>()?;
    let rows = py
        .allow_threads(|| query::idp::fixed_point(&pts))
        .map_err(py_err)?;
    table(py, &rows)
}

#[pyfunction]
fn idp_map<'py>(
    py: Python<'py>,
    kappa: PyReadonlyArray1<'py, f64>,
    theta: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let rows = query::idp::map(slice(&kappa, "kappa")?, theta).map_err(py_err)?;
    table(py, &rows)
}

#[pyfunction]
fn idp_sequence(
    py: Python<'_>,
    kappa: f64,
    z0: f64,
    theta: f64,
    steps: usize,
) -> PyResult<Bound<'_, PyDict>> {
    let rows = query::idp::sequence(kappa, z0, theta, steps).map_err(py_err)?;
    table(py, &rows)
}

#[pyfunction]
fn idp_phase<'py>(
    py: Python<'py>,
    kappa: PyReadonlyArray1<'py, f64>,
    z0: PyReadonlyArray1<'py, f64>,
    theta: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let pts: Vec<(f64, f64)> = slice(&kappa, "kappa")?
        .iter()
        .copied()
        .zip(slice(&z0, "z0")?.iter().copied())
        .collect();
    let rows = py
        .allow_threads(|| query::idp::phase(&pts, theta))
        .map_err(py_err)?;
    table(py, &rows)
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn idp_reduced<'py>(
    py: Python<'py>,
    saliency: Vec<f64>,
    start: Vec<f64>,
    activation_name: &str,
    gain: f64,
    sigma: f64,
    dt: f64,
    t_max: f64,
    record_every: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let act = activation(activation_name, gain)?;
    let rows = blocking(py, None, 0, |_| {
        query::idp::reduced(&act, &saliency, &start, sigma, (dt, t_max, record_every))
    })?;
    table(py, &rows)
}

#[allow(clippy::too_many_arguments)]
fn sde_params(
    n: usize,
    p: usize,
    memories: &str,
    act: engram::idp::Activation,
    sigma: f64,
    dt: f64,
    t_max: f64,
    record_every: usize,
    seed: u64,
    classic: bool,
) -> PyResult<engram::idp::sim::SdeParams> {
    Ok(engram::idp::sim::SdeParams {
        n,
        p,
        memories: engram::idp::sim::MemoryKind::parse(memories).map_err(py_err)?,
        activation: act,
        sigma,
        dt,
        t_max,
        record_every,
        seed,
        classic,
    })
}

#[pyfunction]
#[pyo3(signature = (n, p, saliency, input, start, start_noise, activation_name, gain, classic, memories, sigma, dt, t_max, trials, seed, record_every, progress=None))]
#[allow(clippy::too_many_arguments)]
fn idp_simulate<'py>(
    py: Python<'py>,
    n: usize,
    p: usize,
    saliency: Vec<f64>,
    input: bool,
    start: Option<Vec<f64>>,
    start_noise: f64,
    activation_name: &str,
    gain: f64,
    classic: bool,
    memories: &str,
    sigma: f64,
    dt: f64,
    t_max: f64,
    trials: usize,
    seed: u64,
    record_every: usize,
    progress: Option<PyObject>,
) -> PyResult<Bound<'py, PyDict>> {
    let act = activation(activation_name, gain)?;
    let params = sde_params(
        n,
        p,
        memories,
        act,
        sigma,
        dt,
        t_max,
        record_every,
        seed,
        classic,
    )?;
    let rows = blocking(py, progress.as_ref(), trials as u64, |c| {
        query::idp::simulate(
            &params,
            &saliency,
            input,
            start.as_deref(),
            start_noise,
            trials,
            &|| c.tick(),
        )
    })?;
    table(py, &rows)
}

#[pyfunction]
#[pyo3(signature = (n, p, kappa, tau, z0, retrieval_overlap, memories, sigma, dt, t_max, trials, seed, record_every, progress=None))]
#[allow(clippy::too_many_arguments)]
fn idp_sequence_simulate<'py>(
    py: Python<'py>,
    n: usize,
    p: usize,
    kappa: f64,
    tau: f64,
    z0: f64,
    retrieval_overlap: f64,
    memories: &str,
    sigma: f64,
    dt: f64,
    t_max: f64,
    trials: usize,
    seed: u64,
    record_every: usize,
    progress: Option<PyObject>,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let act = engram::idp::Activation::hard_tanh(1.0).map_err(py_err)?;
    let params = sde_params(
        n,
        p,
        memories,
        act,
        sigma,
        dt,
        t_max,
        record_every,
        seed,
        false,
    )?;
    let slow = engram::idp::sim::SlowParams {
        kappa,
        tau,
        z0,
        retrieval_overlap,
    };
    let (rows, series) = blocking(py, progress.as_ref(), trials as u64, |c| {
        query::idp::sequence_simulate(&params, &slow, trials, &|| c.tick())
    })?;
    Ok((table(py, &rows)?, table(py, &series)?))
}

// ---------------------------------------------------------------------------------------------
// Two-group network, diffusion, classic Hopfield

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn kh_relax<'py>(
    py: Python<'py>,
    model: &str,
    nf: usize,
    nh: usize,
    beta: f64,
    power: u32,
    tau_f: f64,
    tau_h: f64,
    t_max: f64,
    records: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let rows = blocking(py, None, 0, |_| {
        query::models::kh_relax(
            model,
            beta,
            power,
            (nf, nh),
            (tau_f, tau_h),
            t_max,
            records,
            seed,
        )
    })?;
    table(py, &rows)
}

#[pyfunction]
#[pyo3(signature = (n, alpha, samples, t_max, t_min, steps, seed, progress=None))]
#[allow(clippy::too_many_arguments)]
fn diffusion_reverse<'py>(
    py: Python<'py>,
    n: PyReadonlyArray1<'py, f64>,
    alpha: PyReadonlyArray1<'py, f64>,
    samples: usize,
    t_max: f64,
    t_min: f64,
    steps: usize,
    seed: u64,
    progress: Option<PyObject>,
) -> PyResult<Bound<'py, PyDict>> {
    let pts: Vec<(f64, f64)> = slice(&n, "n")?
        .iter()
        .copied()
        .zip(slice(&alpha, "alpha")?.iter().copied())
        .collect();
    let base = engram::diffusion::ReverseParams {
        n: 2,
        alpha: 1.0,
        samples,
        t_max,
        t_min,
        steps,
        seed,
    };
    let total = (pts.len() * samples) as u64;
    let rows = blocking(py, progress.as_ref(), total, |c| {
        query::models::diffusion_reverse(&pts, &base, &|| c.tick())
    })?;
    table(py, &rows)
}

#[pyfunction]
fn hopfield_theory<'py>(
    py: Python<'py>,
    alpha: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let rows = query::models::hopfield_theory(slice(&alpha, "alpha")?).map_err(py_err)?;
    table(py, &rows)
}

#[pyfunction]
#[pyo3(signature = (n, alpha, samples, interaction, flip, max_sweeps, seed, progress=None))]
#[allow(clippy::too_many_arguments)]
fn hopfield_simulate<'py>(
    py: Python<'py>,
    n: PyReadonlyArray1<'py, f64>,
    alpha: PyReadonlyArray1<'py, f64>,
    samples: usize,
    interaction: &str,
    flip: f64,
    max_sweeps: usize,
    seed: u64,
    progress: Option<PyObject>,
) -> PyResult<Bound<'py, PyDict>> {
    let f = query::models::interaction(interaction).map_err(py_err)?;
    let pts: Vec<(f64, f64)> = slice(&n, "n")?
        .iter()
        .copied()
        .zip(slice(&alpha, "alpha")?.iter().copied())
        .collect();
    let total = (pts.len() * samples) as u64;
    let rows = blocking(py, progress.as_ref(), total, |c| {
        query::models::hopfield_simulate(&pts, samples, f, flip, max_sweeps, seed, &|| c.tick())
    })?;
    table(py, &rows)
}

// ---------------------------------------------------------------------------------------------
// Studies

#[pyfunction]
#[pyo3(signature = (config, out, quick, resume, force, progress=None, warn=None))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    config: std::path::PathBuf,
    out: std::path::PathBuf,
    quick: bool,
    resume: bool,
    force: bool,
    progress: Option<PyObject>,
    warn: Option<PyObject>,
) -> PyResult<(String, Vec<String>)> {
    use std::sync::Mutex;
    let opts = engram::study::RunOptions {
        resume,
        shard: None,
        quick,
        force,
    };
    let warnings = Arc::new(Mutex::new(Vec::<String>::new()));
    let report = {
        let w = warnings.clone();
        blocking(py, progress.as_ref(), 0, move |c| {
            let c = c.clone();
            let p = engram::study::Progress::new(move |d, t| {
                c.done.store(d, Ordering::Relaxed);
                c.total.store(t, Ordering::Relaxed);
            })
            .with_warn(move |m| w.lock().unwrap_or_else(|e| e.into_inner()).push(m.into()));
            engram::study::run_study(&config, &out, opts, &p)
        })
    };
    if let Some(cb) = warn {
        for m in warnings.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            cb.call1(py, (m.clone(),))?;
        }
    }
    let r = report?;
    Ok((
        r.dir.display().to_string(),
        r.files.iter().map(|f| f.display().to_string()).collect(),
    ))
}

#[pyfunction]
fn read_csv(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let cols = engram::io::columns::read_columns(&path).map_err(py_err)?;
    dict_of(py, cols)
}

/// Time `repeats` calls of the Rust library's α₁ on the grid `lam`, inside Rust (no Python in
/// the loop): the reference of the speed comparison in examples/python/speed.py. Returns the
/// best time of one call, in seconds.
#[pyfunction]
fn bench_alpha_1(
    py: Python<'_>,
    ensemble_name: &str,
    lam: PyReadonlyArray1<'_, f64>,
    repeats: usize,
) -> PyResult<f64> {
    let k = ensemble(ensemble_name)?;
    let l = slice(&lam, "lam")?;
    py.allow_threads(|| {
        let mut best = f64::INFINITY;
        for _ in 0..repeats.max(1) {
            let t0 = std::time::Instant::now();
            let v = query::dam::alpha_1(k, l)?;
            best = best.min(t0.elapsed().as_secs_f64());
            std::hint::black_box(v);
        }
        Ok(best)
    })
    .map_err(py_err)
}

#[pyfunction]
fn interrupt_requested() -> bool {
    engram::interrupt::requested()
}

/// The native module `engram._engram`; use the `engram` package, which broadcasts its inputs.
#[pymodule]
fn _engram(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    let palette: Vec<String> = engram::plot::PALETTE
        .iter()
        .map(|c| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2))
        .collect();
    m.add("PALETTE", palette)?;
    m.add_function(wrap_pyfunction!(thresholds, m)?)?;
    m.add_function(wrap_pyfunction!(alpha_1, m)?)?;
    m.add_function(wrap_pyfunction!(rem, m)?)?;
    m.add_function(wrap_pyfunction!(basin, m)?)?;
    m.add_function(wrap_pyfunction!(lambda_c, m)?)?;
    m.add_function(wrap_pyfunction!(scaled, m)?)?;
    m.add_function(wrap_pyfunction!(finite_size, m)?)?;
    m.add_function(wrap_pyfunction!(energy, m)?)?;
    m.add_function(wrap_pyfunction!(step, m)?)?;
    m.add_function(wrap_pyfunction!(descent, m)?)?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(idp_fixed_point, m)?)?;
    m.add_function(wrap_pyfunction!(idp_map, m)?)?;
    m.add_function(wrap_pyfunction!(idp_sequence, m)?)?;
    m.add_function(wrap_pyfunction!(idp_phase, m)?)?;
    m.add_function(wrap_pyfunction!(idp_reduced, m)?)?;
    m.add_function(wrap_pyfunction!(idp_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(idp_sequence_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(kh_relax, m)?)?;
    m.add_function(wrap_pyfunction!(diffusion_reverse, m)?)?;
    m.add_function(wrap_pyfunction!(hopfield_theory, m)?)?;
    m.add_function(wrap_pyfunction!(hopfield_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(read_csv, m)?)?;
    m.add_function(wrap_pyfunction!(interrupt_requested, m)?)?;
    m.add_function(wrap_pyfunction!(bench_alpha_1, m)?)?;
    Ok(())
}
