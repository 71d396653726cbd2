"""engram: theory and Monte-Carlo simulation of associative memories, from Python.

The functions of this package are thin layers over the Rust library ``engram`` (the same
functions the ``engram`` command line calls, so the numbers are the command line's, bit for
bit). Symbols follow the papers and ``docs/theory.md`` of the repository (anchors in each
docstring):

- dense associative memory (DAM), energy
  ``E(x) = -(1/λ) ln Σ_μ exp(λ ξ^μ·x) + ½‖x‖²`` with ``P = exp(αN)`` patterns: ``α`` the load,
  ``λ`` (argument ``lam``) the inverse temperature, ``r = ‖x‖²/N`` the squared norm per
  component of a configuration;
- IDP Hopfield network: ``α_μ`` (argument ``saliency``) a saliency, ``κ`` the gain of the
  sequential map ``Z_{n+1} = κ(1 − θ/Z_n)``.

Inputs are scalars or numpy arrays and broadcast against each other as in numpy; no Python
loop runs over points. Tables come back as a ``dict`` of numpy arrays named as the CSV columns
of the command line (``pandas.DataFrame(result)`` works; text columns are ``str`` arrays,
missing values NaN). Errors raise ``ValueError`` (bad input), ``MemoryError`` (a store that
cannot be allocated) or ``RuntimeError`` (no convergence, a refused run, a file), with the
command line's one-line message. Long calls release the GIL, stop on Ctrl-C
(``KeyboardInterrupt`` within a second) and show a progress bar (``progress=False`` hides it;
a callable ``progress(done, total)`` receives the counts instead).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from . import _engram

__version__: str = _engram.__version__

__all__ = [
    "ENSEMBLES",
    "PALETTE",
    "Study",
    "alpha_1",
    "alpha_c",
    "basin",
    "descent",
    "diffusion_reverse",
    "energy",
    "finite_size",
    "hopfield_simulate",
    "hopfield_theory",
    "idp_fixed_point",
    "idp_map",
    "idp_phase",
    "idp_reduced",
    "idp_sequence",
    "idp_sequence_simulate",
    "idp_simulate",
    "kh_relax",
    "lambda_c",
    "load",
    "rem",
    "run",
    "scaled",
    "simulate",
    "step",
    "thresholds",
]

#: The colours of engram's figures (Okabe–Ito, colour-blind safe), as hex strings, for
#: matplotlib: ``plt.plot(x, y, color=engram.PALETTE[0])``.
PALETTE: list = list(_engram.PALETTE)

#: The built-in pattern ensembles: ξ_i ~ N(0, 1); uniform on the sphere of radius √N; ξ_i = ±1.
ENSEMBLES = ("gaussian", "spherical", "binary")

ArrayLike = Union[float, int, Sequence[float], np.ndarray]
Table = Dict[str, np.ndarray]
Progress = Union[None, bool, Callable[[int, int], Any]]


# ----------------------------------------------------------------------------------------------
# helpers


def _flat(*args: Optional[ArrayLike]) -> Tuple[Tuple[int, ...], list]:
    """Broadcast the given arrays (None passes through); their common shape (at least 1-D)
    and the flat contiguous float64 copies."""
    present = [np.asarray(a, dtype=np.float64) for a in args if a is not None]
    shape = np.broadcast_shapes(*(a.shape for a in present)) if present else ()
    shape = shape if len(shape) > 0 else (1,)
    out = []
    for a in args:
        if a is None:
            out.append(None)
        else:
            b = np.broadcast_to(np.asarray(a, dtype=np.float64), shape)
            out.append(np.ascontiguousarray(b).ravel())
    return shape, out


def _table(raw: Dict[str, Any], shape: Optional[Tuple[int, ...]] = None) -> Table:
    """Native columns as numpy arrays (text as str arrays), reshaped to the broadcast shape."""
    out: Table = {}
    for k, v in raw.items():
        a = np.array(v, dtype=str) if isinstance(v, list) else v
        if shape is not None and a.shape != shape:
            a = a.reshape(shape)
        out[k] = a
    return out


def _scalar_or_array(a: np.ndarray, *inputs: Any) -> Union[float, np.ndarray]:
    """A float when every input was a scalar, else the array."""
    if all(np.ndim(x) == 0 for x in inputs if x is not None):
        return float(a.reshape(-1)[0])
    return a


class _Bar:
    """A progress bar for long calls: tqdm.auto when installed (a widget in Jupyter), else a
    one-line text bar on stderr (carriage returns, which Jupyter also renders in place). Shown
    only once a call has run for half a second."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.bar: Any = None
        self.text = False

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None and not self.text:
            if time.monotonic() - self.start < 0.5:
                return
            try:
                from tqdm.auto import tqdm  # type: ignore

                self.bar = tqdm(total=max(total, 1), unit="samples", leave=False)
            except Exception:
                # a text bar where someone sees it: a terminal, or a notebook's stderr
                self.text = sys.stderr.isatty() or "ipykernel" in sys.modules
                if not self.text:
                    self.start = float("inf")
                    return
        if self.bar is not None:
            if total and self.bar.total != total:
                self.bar.total = total
                self.bar.refresh()
            self.bar.update(done - self.bar.n)
        elif self.text:
            frac = done / total if total else 0.0
            n = int(40 * frac)
            sys.stderr.write(f"\r[{'=' * n}{' ' * (40 - n)}] {done}/{total}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.text:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _with_progress(progress: Progress, call: Callable[[Any], Any]) -> Any:
    if progress is False:
        return call(None)
    if callable(progress):
        return call(progress)
    bar = _Bar()
    try:
        return call(bar)
    finally:
        bar.close()


def _opt(x: Optional[float]) -> Optional[float]:
    return None if x is None else float(x)


# ----------------------------------------------------------------------------------------------
# DAM theory


def thresholds(lam: ArrayLike, ensemble: str = "gaussian") -> Table:
    """Retrieval thresholds at inverse temperature λ > 0 (docs/theory.md#alpha-1, #alpha-c).

    α₁(λ) = sup{α : λρ₁ > φ(α, λ, ρ₁)}, the largest load at which a typical pattern is retrieved
    (uncondensed: α₁ = λρ₁ − Λ_ρ₁(λ); gaussian: λ − λ²/2 for λ ≤ 1, ½ above; binary:
    λ − ln cosh λ below condensation); and the first-moment lower bound α_c = min(α₁,
    α_norm, α_pair) on the load at which all patterns are retrieved, with each failure channel
    (inf: channel absent) and the failing norm ρ_f.

    Returns the columns of ``engram dam thresholds``: lambda, alpha_1, alpha_c, alpha_c_norm,
    alpha_c_pair, alpha_c_binding, phase_at_alpha_1, rho_f (shape of ``lam``).
    """
    shape, (l,) = _flat(lam)
    return _table(_engram.thresholds(ensemble, l), shape)


def alpha_1(lam: ArrayLike, ensemble: str = "gaussian") -> Union[float, np.ndarray]:
    """α₁(λ), the typical-pattern retrieval threshold (docs/theory.md#alpha-1), alone: the fast
    path for dense λ grids. A float for a scalar λ, else an array of λ's shape."""
    shape, (l,) = _flat(lam)
    return _scalar_or_array(_engram.alpha_1(ensemble, l).reshape(shape), lam)


def alpha_c(lam: ArrayLike, ensemble: str = "gaussian") -> Union[float, np.ndarray]:
    """The all-pattern bound α_c(λ) = min over the failure channels (docs/theory.md#alpha-c);
    the channels themselves are in :func:`thresholds`."""
    return _scalar_or_array(thresholds(lam, ensemble)["alpha_c"], lam)


def rem(
    alpha: ArrayLike, lam: ArrayLike, r: Optional[ArrayLike] = None, ensemble: str = "gaussian"
) -> Table:
    """The auxiliary random energy model at (α, λ, r) (docs/theory.md#rem).

    φ(α, λ, r) = lim (1/N) ln Σ_{μ≥2} exp(Nλu_μ) = max_{u: s(u) ≥ 0} [s(u) + λu], s = α − I_r(u);
    uncondensed: φ = α + Λ_r(λ); condensed (λ > λ_*): φ = λ u_max with I_r(u_max) = α; gaussian
    λ_* = √(2α/r). ``r`` defaults to ρ₁ (a typical pattern's norm).

    Returns phi, phase, u_star, lambda_star, alpha, lambda, r, u_max, entropy (broadcast shape).
    """
    shape, (a, l, rr) = _flat(alpha, lam, r)
    return _table(_engram.rem(ensemble, a, l, rr), shape)


def basin(
    alpha: ArrayLike, lam: ArrayLike, r: Optional[ArrayLike] = None, ensemble: str = "gaussian"
) -> Table:
    """Basin of one attention step (docs/theory.md#basins): from overlap m and norm r, ξ¹ is
    retrieved iff λm > φ(α, λ, r), i.e. m > m_c = φ/λ; critical cosine m_c/√(rρ₁) (> 1: no
    start of norm r retrieves). Gaussian: m_c = α/λ + λr/2 below condensation.

    Returns m_c, alpha, lambda, r, cos_c, phase (broadcast shape).
    """
    shape, (a, l, rr) = _flat(alpha, lam, r)
    return _table(_engram.basin(ensemble, a, l, rr), shape)


def lambda_c(alpha: ArrayLike, ensemble: str = "gaussian") -> Table:
    """λ_c(α): the smallest λ retrieving the typical pattern at load α, the inverse of α₁
    (docs/theory.md#alpha-1; gaussian 1 − √(1 − 2α); inf: no λ does). Columns alpha, lambda_c."""
    shape, (a,) = _flat(alpha)
    return _table(_engram.lambda_c(ensemble, a), shape)


def scaled(beta: ArrayLike, n: Optional[ArrayLike] = None, ensemble: str = "gaussian") -> Table:
    """The scaled dot-product regime λ = β/√N, P = exp(α√N) (docs/theory.md#scaled, derived,
    TENTATIVE): α₁ = α_c = βρ₁ as N → ∞, and the finite-N value where ``n`` is given.
    Columns beta, alpha_1, alpha_c, n, alpha_1_n, status."""
    shape, (b, nn) = _flat(beta, n)
    return _table(_engram.scaled(ensemble, b, nn), shape)


def finite_size(
    n: ArrayLike,
    lam: float,
    ensemble: str = "gaussian",
    samples: int = 400,
    target_norm: Optional[float] = None,
    eta: float = 0.5,
    max_steps: int = 1000,
    xtol: float = 1e-6,
    threshold: float = 0.05,
    seed: int = 1,
    max_patterns: int = 1 << 30,
    max_hours: float = 1.0,
    progress: Progress = None,
) -> Table:
    """The finite-size theory of retrieval from x₀ = ξ¹ (docs/theory.md#fold), one row per N.

    Per draw of ξ¹'s norm and of the P − 1 overlaps from their exact laws, the reduced map
    m ← (1 − η)m + η[p₁ + (1 − p₁) b(m)] is iterated with the simulator's dynamics; α½(N) is
    the median critical load of the draws. Beside it the fold expansion
    α₁ − [1 + ln(Nc)]/N, the annealed map and the N → ∞ limit α₁ (or α_f(λ; ρ) for a planted
    ``target_norm`` ρ). Columns as ``engram dam finite-size``.
    """
    _, (nn,) = _flat(n)
    return _with_progress(
        progress,
        lambda cb: _table(
            _engram.finite_size(
                ensemble, float(lam), nn, int(samples), _opt(target_norm), float(eta),
                int(max_steps), float(xtol), float(threshold), int(seed), int(max_patterns),
                float(max_hours), cb,
            )
        ),
    )


# ----------------------------------------------------------------------------------------------
# energy and descent on user arrays


def _states(x: ArrayLike, patterns: ArrayLike) -> Tuple[np.ndarray, np.ndarray, Tuple[int, ...]]:
    xi = np.ascontiguousarray(np.asarray(patterns, dtype=np.float64))
    if xi.ndim != 2:
        raise ValueError(f"invalid patterns: expected a P x N matrix, got shape {xi.shape}")
    xa = np.asarray(x, dtype=np.float64)
    if xa.ndim == 0:
        raise ValueError("invalid x: expected a state of N components (or a stack of states)")
    lead = xa.shape[:-1]
    return np.ascontiguousarray(xa.reshape(-1, xa.shape[-1])), xi, lead


def energy(x: ArrayLike, patterns: ArrayLike, lam: float) -> Union[float, np.ndarray]:
    """The DAM energy E(x) = −(1/λ) ln Σ_μ exp(λ ξ^μ·x) + ½‖x‖² (docs/theory.md#dam), total (not
    per component), in float64 with a log-sum-exp around the largest logit.

    ``x``: a state (N,) or a stack (..., N); ``patterns``: the P × N matrix (row μ is ξ^μ).
    A float for one state, else an array of the leading shape of ``x``.
    """
    xs, xi, lead = _states(x, patterns)
    e = _engram.energy(xs, xi, float(lam))
    return float(e[0]) if lead == () else e.reshape(lead)


def step(x: ArrayLike, patterns: ArrayLike, lam: float, eta: float = 1.0) -> np.ndarray:
    """One descent step x ← x − η∇E(x), ∇E = x − Σ_μ p_μ ξ^μ, p = softmax(λΞx)
    (docs/theory.md#dam); η = 1 is the attention update x ← Σ_μ p_μ ξ^μ. Same shape as ``x``."""
    xs, xi, lead = _states(x, patterns)
    return _engram.step(xs, xi, float(lam), float(eta)).reshape(*lead, xi.shape[1])


def descent(
    x: ArrayLike,
    patterns: ArrayLike,
    lam: float,
    eta: float = 0.5,
    max_steps: int = 1000,
    xtol: float = 1e-6,
) -> Dict[str, np.ndarray]:
    """Gradient descent from ``x`` until ‖Δx‖/√N < xtol or ``max_steps`` steps, the simulator's
    rule (docs/theory.md#dam). Returns x (final states, shape of ``x``), steps, converged and
    energy (the leading shape of ``x``)."""
    xs, xi, lead = _states(x, patterns)
    d = _engram.descent(xs, xi, float(lam), float(eta), int(max_steps), float(xtol))
    return {
        "x": d["x"].reshape(*lead, xi.shape[1]),
        "steps": d["steps"].reshape(lead),
        "converged": d["converged"].reshape(lead),
        "energy": d["energy"].reshape(lead),
    }


# ----------------------------------------------------------------------------------------------
# simulators


def simulate(
    n: ArrayLike,
    alpha: ArrayLike,
    lam: ArrayLike,
    samples: int,
    ensemble: str = "gaussian",
    cosine: Optional[ArrayLike] = None,
    r: Optional[float] = None,
    eta: float = 0.5,
    max_steps: int = 1000,
    xtol: float = 1e-6,
    threshold: float = 0.05,
    seed: int = 1,
    targets: Union[str, int] = "auto",
    target_norm: Optional[float] = None,
    store: str = "f32",
    streams: str = "shared",
    memory_gib: float = 4.0,
    max_hours: float = 1.0,
    progress: Progress = None,
) -> Table:
    """Monte-Carlo simulation of the DAM at finite N (docs/theory.md#dam, #simulator).

    Per point (n, α, λ[, cosine], broadcast): P = round(exp(αN)) patterns, descent
    x ← x − η∇E from x₀ = ξ¹ (or from cosine C with ξ¹ at norm r, default ρ₁) until
    ‖Δx‖/√N < xtol; retrieved iff Δ₀ = ‖x* − ξ¹‖²/N < threshold. ``targets`` chooses the engine:
    "auto" (the K-target engine, K = min(⌈S/30⌉, 64, P) targets per store), K (1: one target
    per store, the single-target protocol), "all" or "at-most:K"; errors are cluster-robust
    over stores. Returns the ``engram dam simulate`` columns (p_retrieved with its Wilson
    interval p_retrieved_lo/hi, delta0, steps, the theory beside them, ...), one entry per point.
    """
    shape, (nn, a, l, c) = _flat(n, alpha, lam, cosine)
    return _with_progress(
        progress,
        lambda cb: _table(
            _engram.simulate(
                ensemble, nn, a, l, c, int(samples), float(eta), int(max_steps), float(xtol),
                float(threshold), _opt(r), int(seed), float(memory_gib), str(targets),
                _opt(target_norm), store, streams, float(max_hours), cb,
            ),
            shape,
        ),
    )


# ----------------------------------------------------------------------------------------------
# IDP network


def idp_fixed_point(
    saliency: ArrayLike, gain: ArrayLike, sigma: ArrayLike = 0.0, activation: str = "tanh"
) -> Table:
    """Memory fixed point of the IDP network (docs/theory.md#idp-fixed-points, #idp-noise):
    m* = largest root of m = α Ψ_σ(m) (Ψ = tanh(βx) or clip(βx, −1, 1), noise-smoothed);
    α_exist = 1/Ψ'_σ(0); α_stab = 1/Ψ'_σ(m*); σ_exist. Columns as ``engram idp fixed-point``."""
    shape, (a, g, s) = _flat(saliency, gain, sigma)
    return _table(_engram.idp_fixed_point(a, g, s, activation), shape)


def idp_map(kappa: ArrayLike, theta: float = 1.0) -> Table:
    """The sequential-retrieval map Z_{n+1} = κ(1 − θ/Z_n) (docs/theory.md#sequence): gain
    threshold κ_c = 4θ, fixed points Z± = (κ ± √(κ² − 4κθ))/2, steady dwell ln(Z₊/θ) (in units
    of τ), rotation period or relaxation time. Columns as ``engram idp map``."""
    shape, (k,) = _flat(kappa)
    return _table(_engram.idp_map(k, float(theta)), shape)


def idp_sequence(kappa: float, z0: float, theta: float = 1.0, steps: int = 1000) -> Table:
    """The map iterated from Z₀ (docs/theory.md#sequence): one row per retrieved memory with its
    saliency z and dwell τ ln(z/θ), then the first with z ≤ θ (collapse)."""
    return _table(_engram.idp_sequence(float(kappa), float(z0), float(theta), int(steps)))


def idp_phase(kappa: ArrayLike, z0: ArrayLike, theta: float = 1.0) -> Table:
    """The (κ, Z₀) phase of the map (docs/theory.md#sequence): sustained (κ ≥ 4θ and Z₀ ≥ Z₋)
    or collapse, with the number of memories retrieved before it."""
    shape, (k, z) = _flat(kappa, z0)
    return _table(_engram.idp_phase(k, z, float(theta)), shape)


def idp_reduced(
    saliency: Sequence[float],
    start: Sequence[float],
    t_max: float,
    activation: str = "tanh",
    gain: float = 10.0,
    sigma: float = 0.0,
    dt: float = 0.01,
    record_every: int = 10,
) -> Table:
    """Reduced overlap dynamics of the IDP network (N → ∞, P random memories,
    docs/theory.md#idp-reduced): da_μ/dt = −a_μ + α_μ E[ξ_μ Ψ(Σ_ν a_ν ξ_ν + s z)],
    d(s²)/dt = −2s² + σ², exact 2^P average, RK4."""
    return _table(
        _engram.idp_reduced(
            [float(v) for v in saliency], [float(v) for v in start], activation, float(gain),
            float(sigma), float(dt), float(t_max), int(record_every),
        )
    )


def idp_simulate(
    n: int,
    p: int,
    t_max: float,
    saliency: Optional[Sequence[float]] = None,
    input: Optional[Sequence[float]] = None,
    start: Optional[Sequence[float]] = None,
    start_noise: float = 0.0,
    activation: str = "tanh",
    gain: float = 10.0,
    classic: bool = False,
    memories: str = "orthogonal",
    sigma: float = 0.0,
    dt: float = 0.01,
    trials: int = 1,
    seed: int = 1,
    record_every: int = 100,
    progress: Progress = None,
) -> Table:
    """The N-neuron IDP network with fixed saliencies (or an input u = Σ c_l ξ_l), Euler–Maruyama
    (docs/theory.md#idp, #simulator): overlap time series m = ξ_μ·Ψ(x)/N per trial. Give
    ``saliency`` (α_μ ≥ 0) or ``input`` (c_l). Columns as ``engram idp simulate``."""
    if (saliency is None) == (input is None):
        raise ValueError("invalid saliency: give exactly one of saliency and input")
    given = saliency if saliency is not None else input
    return _with_progress(
        progress,
        lambda cb: _table(
            _engram.idp_simulate(
                int(n), int(p), [float(v) for v in given], input is not None,
                None if start is None else [float(v) for v in start], float(start_noise),
                activation, float(gain), bool(classic), memories, float(sigma), float(dt),
                float(t_max), int(trials), int(seed), int(record_every), cb,
            )
        ),
    )


def idp_sequence_simulate(
    n: int,
    p: int,
    kappa: float,
    tau: float,
    z0: float,
    t_max: float,
    retrieval_overlap: float = 0.5,
    memories: str = "orthogonal",
    sigma: float = 0.0,
    dt: float = 0.01,
    trials: int = 1,
    seed: int = 1,
    record_every: int = 100,
    progress: Progress = None,
) -> Tuple[Table, Table]:
    """The two-timescale network (Betteti, Baggio, Zampieri, arXiv:2603.03201;
    docs/theory.md#sequence): fast hard-tanh IDP layer, slow saliencies τ da/dt = −a + κS|m|.
    Returns (switches, series): one row per switch (measured saliency and dwell beside the
    map's prediction), and the overlap time series."""
    sw, se = _with_progress(
        progress,
        lambda cb: _engram.idp_sequence_simulate(
            int(n), int(p), float(kappa), float(tau), float(z0), float(retrieval_overlap),
            memories, float(sigma), float(dt), float(t_max), int(trials), int(seed),
            int(record_every), cb,
        ),
    )
    return _table(sw), _table(se)


# ----------------------------------------------------------------------------------------------
# other models


def kh_relax(
    model: str,
    nf: int = 32,
    nh: int = 8,
    beta: float = 4.0,
    power: int = 2,
    tau_f: float = 1.0,
    tau_h: float = 0.1,
    t_max: float = 10.0,
    records: int = 20,
    seed: int = 1,
) -> Table:
    """The Krotov–Hopfield two-group network (feature + hidden neurons; ICLR 2021,
    arXiv:2008.06996; docs/theory.md#two-group) relaxed beside its effective model: energies
    and the distance between the feature states (→ 0 as τ_h/τ_f → 0). ``model``: a, a-classic,
    b (log-sum-exp, the modern Hopfield network), c."""
    return _table(
        _engram.kh_relax(
            model, int(nf), int(nh), float(beta), int(power), float(tau_f), float(tau_h),
            float(t_max), int(records), int(seed),
        )
    )


def diffusion_reverse(
    n: ArrayLike,
    alpha: ArrayLike,
    samples: int,
    t_max: float = 20.0,
    t_min: float = 1e-3,
    steps: int = 400,
    seed: int = 1,
    progress: Progress = None,
) -> Table:
    """Reverse VE SDE with the exact score on P = round(exp(αN)) spherical patterns
    (docs/theory.md#diffusion, #collapse): fraction memorised, the condensation noise, beside
    the collapse noise s_C² = 1/(exp(2α) − 1). Columns as ``engram diffusion reverse``."""
    shape, (nn, a) = _flat(n, alpha)
    return _with_progress(
        progress,
        lambda cb: _table(
            _engram.diffusion_reverse(
                nn, a, int(samples), float(t_max), float(t_min), int(steps), int(seed), cb
            ),
            shape,
        ),
    )


def hopfield_theory(alpha: ArrayLike) -> Table:
    """Replica-symmetric theory of the classic Hopfield network at α = P/N
    (docs/theory.md#hopfield): retrieval overlap m(α) (NaN above α_c ≈ 0.138)."""
    shape, (a,) = _flat(alpha)
    return _table(_engram.hopfield_theory(a), shape)


def hopfield_simulate(
    n: ArrayLike,
    alpha: ArrayLike,
    samples: int,
    interaction: Union[str, int] = 2,
    flip: float = 0.0,
    max_sweeps: int = 100,
    seed: int = 1,
    progress: Progress = None,
) -> Table:
    """Asynchronous zero-temperature dynamics of binary F-networks (docs/theory.md#hopfield):
    F = x^n (n = 2: Hebbian) or exp, from ξ¹ with a fraction ``flip`` of flipped spins."""
    shape, (nn, a) = _flat(n, alpha)
    return _with_progress(
        progress,
        lambda cb: _table(
            _engram.hopfield_simulate(
                nn, a, int(samples), str(interaction), float(flip), int(max_sweeps), int(seed), cb
            ),
            shape,
        ),
    )


# ----------------------------------------------------------------------------------------------
# studies


class Study(dict):
    """A study's tables: {CSV file stem: table}, with ``dir`` (the study directory), ``config``
    (its config text), ``manifest`` (the parsed manifest.json: versions, seeds, times) and
    ``files`` (what the run wrote, when it comes from :func:`run`)."""

    dir: Path
    config: str
    manifest: Dict[str, Any]
    files: list


def load(study_dir: Union[str, os.PathLike]) -> Study:
    """Read a study directory written by ``engram run``: every CSV as a table (numbers as
    float64, bit for bit as written; true/false as bool; text as str; empty fields NaN)."""
    d = Path(study_dir)
    if not d.is_dir():
        raise ValueError(f"invalid study_dir: {d} is not a directory")
    s = Study()
    for f in sorted(d.glob("*.csv")):
        s[f.stem] = _table(_engram.read_csv(str(f)))
    s.dir = d
    cfg = d / "config.toml"
    s.config = cfg.read_text() if cfg.is_file() else ""
    man = d / "manifest.json"
    s.manifest = json.loads(man.read_text()) if man.is_file() else {}
    s.files = []
    return s


def run(
    config: Union[str, os.PathLike],
    out: Optional[Union[str, os.PathLike]] = None,
    quick: bool = False,
    resume: bool = False,
    force: bool = False,
    progress: Progress = None,
) -> Study:
    """Run a study from its config file, as ``engram run CONFIG --out OUT``: theory, simulation,
    CSV, figures and manifest in OUT/<study name>/ (default results/, or results/quick with
    ``quick``). A directory holding results is never replaced unasked: continue it with
    ``resume=True`` or replace it with ``force=True``. Warnings go to the ``warnings`` module.
    Returns the study, loaded (:func:`load`), with ``files`` the files written."""
    import warnings

    root = Path(out) if out is not None else Path("results/quick" if quick else "results")
    dir_, files = _with_progress(
        progress,
        lambda cb: _engram.run(
            str(config), str(root), bool(quick), bool(resume), bool(force), cb,
            lambda m: warnings.warn(m, RuntimeWarning, stacklevel=3),
        ),
    )
    s = load(dir_)
    s.files = [Path(f) for f in files]
    return s
