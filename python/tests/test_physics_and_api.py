"""Closed forms, shapes / dtypes / broadcasting, the GIL, Ctrl-C and progress."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import engram


def test_closed_forms():
    lam = np.linspace(0.01, 0.99, 99)
    # gaussian: α₁ = λ − λ²/2 below λ = 1 (docs/theory.md#alpha-1)
    assert np.max(np.abs(engram.alpha_1(lam, "gaussian") - (lam - lam**2 / 2))) < 1e-12
    assert np.all(np.abs(engram.alpha_1([1.5, 3.0], "gaussian") - 0.5) < 1e-12)
    # binary: α₁ = λ − ln cosh λ while the REM at α₁ is uncondensed
    lam = np.linspace(0.05, 3.0, 60)
    t = engram.thresholds(lam, "binary")
    unc = t["phase_at_alpha_1"] == "uncondensed"
    assert unc.sum() >= 10
    want = lam - np.log(np.cosh(lam))
    assert np.max(np.abs(t["alpha_1"][unc] - want[unc])) < 1e-9
    # gaussian λ_c = 1 − √(1 − 2α); condensation λ_* = √(2α/r); basin m_c = α/λ + λr/2
    a = np.linspace(0.02, 0.48, 24)
    assert np.max(np.abs(engram.lambda_c(a)["lambda_c"] - (1 - np.sqrt(1 - 2 * a)))) < 1e-9
    r = engram.rem(a, 0.1, 1.3)
    assert np.max(np.abs(r["lambda_star"] - np.sqrt(2 * a / 1.3))) < 1e-9
    b = engram.basin(0.3, 0.4, 1.0)
    assert abs(b["m_c"][0] - (0.3 / 0.4 + 0.4 / 2)) < 1e-12


def test_iid_marginals_by_name():
    """i.i.d. marginals pass by their CLI names (docs/theory.md#iid): a two-point marginal is
    binary, sparse ternary saturates at f ln(2/f), α_c is empty (NaN) where it is not computed,
    and the CLI's refusals arrive as ValueError."""
    lam = np.array([0.3, 1.0, 2.0])
    assert np.max(np.abs(engram.alpha_1(lam, "iid:-1,1:0.5,0.5") - engram.alpha_1(lam, "binary"))) < 1e-12
    assert abs(engram.alpha_1(60.0, "ternary:0.1") - 0.1 * np.log(20)) < 1e-12
    t = engram.thresholds([0.5], "uniform")
    assert np.isnan(t["alpha_c"][0]) and t["alpha_c_binding"][0] == "not_computed"
    with pytest.raises(ValueError, match="weights"):
        engram.alpha_1(0.5, "iid:0,1:0.5,0.6")
    with pytest.raises(ValueError, match="laplace"):
        engram.alpha_1(0.5, "laplace")


def test_hidden_manifold_by_name():
    """Hidden-manifold patterns pass by name (docs/theory.md#hidden-manifold): the linear σ is
    a gaussian ensemble of variance 1 + 1/α_D (α₁ = λ − λ²v/2 below λ = 1/v, then 1/(2v)), α_c
    is not computed, and a bad activation is a ValueError naming it."""
    lam = np.array([0.1, 0.2, 2.0])
    v = 1.0 + 1.0 / 0.5
    want = np.where(lam < 1 / v, lam - 0.5 * v * lam**2, 0.5 / v)
    assert np.max(np.abs(engram.alpha_1(lam, "hmm:linear:0.5") - want)) < 1e-12
    t = engram.thresholds([0.5], "hmm:tanh:2")
    assert np.isnan(t["alpha_c"][0]) and t["alpha_c_binding"][0] == "not_computed"
    with pytest.raises(ValueError, match="activation"):
        engram.alpha_1(0.5, "hmm:cubic:1")


def test_energy_step_descent_against_numpy():
    rng = np.random.default_rng(0)
    xi = rng.standard_normal((50, 12))
    x = rng.standard_normal((4, 3, 12))
    lam = 0.7
    logits = lam * x @ xi.T
    m = logits.max(-1, keepdims=True)
    lse = (m + np.log(np.exp(logits - m).sum(-1, keepdims=True)))[..., 0]
    want = -lse / lam + 0.5 * (x**2).sum(-1)
    e = engram.energy(x, xi, lam)
    assert e.shape == (4, 3) and np.max(np.abs(e - want)) < 1e-11
    assert isinstance(engram.energy(x[0, 0], xi, lam), float)
    p = np.exp(logits - lse[..., None])
    y = engram.step(x, xi, lam, 0.3)
    assert y.shape == x.shape
    assert np.max(np.abs(y - (x - 0.3 * (x - p @ xi)))) < 1e-12
    d = engram.descent(xi[:5], xi, 2.0, eta=0.5, xtol=1e-10)
    assert d["x"].shape == (5, 12) and d["converged"].all()
    # at the fixed point the gradient vanishes
    assert np.max(np.abs(engram.step(d["x"], xi, 2.0, 1.0) - d["x"])) < 1e-8
    assert np.all(d["energy"] <= engram.energy(xi[:5], xi, 2.0) + 1e-12)
    with pytest.raises(ValueError):
        engram.energy(np.ones(5), xi, lam)
    with pytest.raises(ValueError):
        engram.energy(np.ones(12), np.full((3, 12), np.nan), lam)


def test_shapes_dtypes_broadcasting():
    a = np.array([0.1, 0.3, 0.5]).reshape(3, 1)
    lam = np.array([0.2, 0.8, 1.5, 3.0])
    t = engram.rem(a, lam)
    assert all(v.shape == (3, 4) for v in t.values())
    assert t["phi"].dtype == np.float64 and t["phase"].dtype.kind == "U"
    for i in range(3):
        for j in range(4):
            assert t["phi"][i, j] == engram.rem(float(a[i, 0]), float(lam[j]))["phi"][0]
    # scalars give 1-element columns and floats where a single number is asked for
    assert engram.thresholds(0.5)["alpha_1"].shape == (1,)
    assert isinstance(engram.alpha_1(0.5), float)
    assert engram.alpha_1(np.full((2, 5), 0.5)).shape == (2, 5)
    # integer and list inputs are accepted; integer, boolean and text columns keep their types
    assert engram.alpha_1([1, 2], "spherical").dtype == np.float64
    s = engram.idp_sequence(3.0, 3.0)
    assert s["n"].dtype == np.int64 and s["retrieved"].dtype == np.bool_
    sim = engram.simulate([12, 14], 0.1, 0.5, 8, progress=False)
    assert sim["n"].dtype == np.int64 and sim["p_retrieved"].shape == (2,)
    # missing values are NaN (an Option column)
    assert np.isnan(engram.scaled(0.5)["n"][0])
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(engram.thresholds(lam, "binary"))
    assert list(df.columns)[:2] == ["lambda", "alpha_1"] and len(df) == 4
    with pytest.raises(ValueError):
        engram.rem([0.1, 0.2], [0.5, 0.6, 0.7])


LONG = dict(n=24, alpha=0.3, lam=0.5, samples=100_000, targets=1, progress=False)


def test_the_gil_is_released():
    ticks = []
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    th = threading.Thread(target=counter)
    th.start()
    t0 = time.monotonic()
    engram.simulate(24, 0.3, 0.5, 3000, targets=1, progress=False)
    elapsed = time.monotonic() - t0
    stop.set()
    th.join()
    assert elapsed > 0.3, "the simulation is too short for this test"
    # a thread that needs the GIL ran throughout: at least a third of the possible ticks
    assert len(ticks) > elapsed / 0.001 / 3 * 0.5, (len(ticks), elapsed)


@pytest.mark.parametrize("call", ["simulate", "finite_size", "idp_simulate"])
def test_ctrl_c_interrupts_within_a_second(call):
    run = {
        "simulate": lambda: engram.simulate(**LONG),
        # max_hours: the run-time refusal must not end the call before the interrupt (a loaded
        # machine times one draw slower)
        "finite_size": lambda: engram.finite_size([40], 0.3, samples=100_000, max_hours=1e6, progress=False),
        "idp_simulate": lambda: engram.idp_simulate(2048, 8, 1e5, saliency=[1.0] * 8, trials=4, progress=False),
    }[call]
    fired = []

    def interrupt():
        time.sleep(0.5)
        fired.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    th = threading.Thread(target=interrupt)
    th.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run()
    finally:
        th.join()  # a signal from this test never reaches the next one
    latency = time.monotonic() - fired[0]
    assert latency < 1.0, latency
    # the next call is not interrupted
    assert engram.simulate(12, 0.1, 0.5, 8, progress=False)["samples"][0] == 8


def test_progress_callback_sees_every_sample():
    seen = []
    engram.simulate([12, 14], 0.2, 0.5, 50, targets=1, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (100, 100)
    assert all(t == 100 and 0 <= d <= t for d, t in seen)

    def fail(d, t):
        raise ZeroDivisionError("stop")

    with pytest.raises(ZeroDivisionError):
        engram.simulate(**{**LONG, "progress": fail})
