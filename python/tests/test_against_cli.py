"""Every function against the command line on the same inputs: the same numbers, bit for bit
(both call engram::query), and the same one-line error messages."""

import filecmp

import numpy as np
import pytest

import engram
from conftest import cli_error, cli_table, same

LAM = [0.05, 0.3, 0.7, 1.0, 1.6]


@pytest.mark.parametrize("ens", engram.ENSEMBLES)
def test_theory_tables(ens):
    same(engram.thresholds(LAM, ens), cli_table("dam", "thresholds", "--ensemble", ens, "--lambda", "0.05,0.3,0.7,1,1.6"))
    a1 = engram.alpha_1(LAM, ens)
    same({"alpha_1": a1}, {"alpha_1": cli_table("dam", "thresholds", "--ensemble", ens, "--lambda", "0.05,0.3,0.7,1,1.6")["alpha_1"]})
    same(engram.lambda_c([0.05, 0.2, 0.45, 0.7], ens), cli_table("dam", "lambda-c", "--ensemble", ens, "--alpha", "0.05,0.2,0.45,0.7"))
    # the CLI's product alpha x lambda x r, in that nesting order, is numpy's broadcast of
    # alpha (3,1,1), lambda (1,2,1), r (1,1,2)
    a = np.array([0.1, 0.3, 0.6]).reshape(3, 1, 1)
    l = np.array([0.5, 2.0]).reshape(1, 2, 1)
    r = np.array([0.8, 1.3]).reshape(1, 1, 2)
    args = ["--ensemble", ens, "--alpha", "0.1,0.3,0.6", "--lambda", "0.5,2", "--r", "0.8,1.3"]
    same(engram.rem(a, l, r, ens), cli_table("dam", "rem", *args))
    same(engram.basin(a, l, r, ens), cli_table("dam", "basin", *args))
    same(engram.scaled([0.5, 1.0], None, ens), cli_table("dam", "scaled", "--ensemble", ens, "--beta", "0.5,1"))
    same(
        engram.scaled(np.array([0.5, 1.0])[:, None], np.array([100.0, 400.0])[None, :], ens),
        cli_table("dam", "scaled", "--ensemble", ens, "--beta", "0.5,1", "--n", "100,400"),
    )


def test_finite_size():
    py = engram.finite_size([12, 16], 0.3, "gaussian", samples=16, seed=3, progress=False)
    same(py, cli_table("dam", "finite-size", "--ensemble", "gaussian", "--lambda", "0.3", "--n", "12,16", "--samples", "16", "--seed", "3"))


@pytest.mark.parametrize("targets", ["1", "auto", "4"])
def test_simulate_single_and_k_target(targets):
    n = np.array([12.0, 16.0]).reshape(2, 1)
    alpha = np.array([0.2, 0.4]).reshape(1, 2)
    py = engram.simulate(n, alpha, 0.5, 40, targets=targets, seed=5, progress=False)
    same(py, cli_table("dam", "simulate", "--ensemble", "gaussian", "--n", "12,16", "--alpha", "0.2,0.4", "--lambda", "0.5", "--samples", "40", "--targets", targets, "--seed", "5"))


def test_simulate_cosine_starts_and_stores():
    py = engram.simulate(14, 0.2, 1.0, 24, ensemble="binary", cosine=[0.4, 0.9], r=1.2, store="i8", targets=8, progress=False)
    same(py, cli_table("dam", "simulate", "--ensemble", "binary", "--n", "14", "--alpha", "0.2", "--lambda", "1", "--samples", "24", "--cosine", "0.4,0.9", "--r", "1.2", "--store", "i8", "--targets", "8"))


def test_idp_theory():
    s = np.array([0.5, 1.5]).reshape(2, 1, 1)
    g = np.array([2.0, 10.0]).reshape(1, 2, 1)
    sig = np.array([0.0, 0.3]).reshape(1, 1, 2)
    same(engram.idp_fixed_point(s, g, sig, "tanh"), cli_table("idp", "fixed-point", "--saliency", "0.5,1.5", "--gain", "2,10", "--sigma", "0,0.3"))
    same(engram.idp_map([2.0, 4.0, 6.0], 1.0), cli_table("idp", "map", "--kappa", "2,4,6"))
    same(engram.idp_sequence(3.0, 3.0), cli_table("idp", "sequence", "--kappa", "3", "--z0", "3"))
    same(engram.idp_phase(np.array([3.0, 6.0])[:, None], np.array([1.2, 3.0])[None, :]), cli_table("idp", "phase", "--kappa", "3,6", "--z0", "1.2,3"))
    same(
        engram.idp_reduced([1.2, 0.8], [0.1, 0.05], t_max=2.0, gain=5.0, sigma=0.1),
        cli_table("idp", "reduced", "--saliency", "1.2,0.8", "--start", "0.1,0.05", "--t-max", "2", "--gain", "5", "--sigma", "0.1"),
    )


def test_idp_simulators():
    same(
        engram.idp_simulate(64, 3, 1.0, saliency=[1.2, 0.5, 0.3], sigma=0.1, trials=3, seed=2, record_every=20, progress=False),
        cli_table("idp", "simulate", "--n", "64", "--p", "3", "--t-max", "1", "--saliency", "1.2,0.5,0.3", "--sigma", "0.1", "--trials", "3", "--seed", "2", "--record-every", "20"),
    )
    sw, _ = engram.idp_sequence_simulate(128, 4, 6.0, 10.0, 3.0, 120.0, sigma=0.05, trials=2, progress=False)
    same(sw, cli_table("idp", "sequence-simulate", "--n", "128", "--p", "4", "--kappa", "6", "--tau", "10", "--z0", "3", "--t-max", "120", "--sigma", "0.05", "--trials", "2"))


def test_other_models():
    same(engram.kh_relax("b", records=5), cli_table("kh", "relax", "--model", "b", "--records", "5"))
    same(
        engram.diffusion_reverse(8, [0.2, 0.5], 6, steps=100, progress=False),
        cli_table("diffusion", "reverse", "--n", "8", "--alpha", "0.2,0.5", "--samples", "6", "--steps", "100"),
    )
    same(engram.hopfield_theory([0.05, 0.1, 0.2]), cli_table("hopfield-classic", "theory", "--alpha", "0.05,0.1,0.2"))
    same(
        engram.hopfield_simulate(40, [0.05, 0.1], 8, interaction=3, flip=0.1, progress=False),
        cli_table("hopfield-classic", "simulate", "--n", "40", "--alpha", "0.05,0.1", "--samples", "8", "--interaction", "3", "--flip", "0.1"),
    )


def test_run_and_load_write_what_the_cli_writes(tmp_path):
    cfg = tmp_path / "pd.toml"
    cfg.write_text('[study]\nname = "pd"\n\n[phase_diagram]\nensembles = ["gaussian", "binary"]\nlambda = "0.1:2:12"\n')
    study = engram.run(cfg, out=tmp_path / "py", progress=False)
    from conftest import cli

    r = cli("run", str(cfg), "--out", str(tmp_path / "cli"))
    assert r.returncode == 0, r.stderr
    csvs = sorted(p.name for p in (tmp_path / "cli" / "pd").glob("*.csv"))
    assert csvs and sorted(k + ".csv" for k in study) == csvs
    for name in csvs:
        assert filecmp.cmp(tmp_path / "py" / "pd" / name, tmp_path / "cli" / "pd" / name, shallow=False), name
    assert study.manifest and "pd" in study.config and study.files
    # load reads back the numbers the theory call gives, bit for bit
    t = study["theory"]
    g = t["ensemble"] == "gaussian"
    direct = engram.thresholds(t["lambda"][g], "gaussian")
    assert np.array_equal(direct["alpha_1"], t["alpha_1"][g])
    # running again into the finished directory: recomputed in place; another config: refused
    engram.run(cfg, out=tmp_path / "py", progress=False)
    cfg.write_text('[study]\nname = "pd"\n\n[phase_diagram]\nensembles = ["gaussian"]\nlambda = "0.1:2:5"\n')
    with pytest.raises(RuntimeError):
        engram.run(cfg, out=tmp_path / "py", quick=True, progress=False)


BAD = [
    (lambda: engram.thresholds([0.5, -1.0]), ("dam", "thresholds", "--ensemble", "gaussian", "--lambda", "0.5,-1")),
    (lambda: engram.thresholds(0.5, "sparse"), None),
    (lambda: engram.lambda_c(float("nan")), None),
    (lambda: engram.rem(-0.1, 1.0), ("dam", "rem", "--ensemble", "gaussian", "--alpha", "-0.1", "--lambda", "1")),
    (lambda: engram.simulate(1, 0.1, 0.5, 10), ("dam", "simulate", "--ensemble", "gaussian", "--n", "1", "--alpha", "0.1", "--lambda", "0.5", "--samples", "10")),
    (lambda: engram.simulate(10, 0.1, 0.5, 0), ("dam", "simulate", "--ensemble", "gaussian", "--n", "10", "--alpha", "0.1", "--lambda", "0.5", "--samples", "0")),
    (lambda: engram.simulate(10, 0.1, 0.5, 10, r=1.2), ("dam", "simulate", "--ensemble", "gaussian", "--n", "10", "--alpha", "0.1", "--lambda", "0.5", "--samples", "10", "--r", "1.2")),
    (lambda: engram.simulate(10, 0.1, 0.5, 10, eta=-1), ("dam", "simulate", "--ensemble", "gaussian", "--n", "10", "--alpha", "0.1", "--lambda", "0.5", "--samples", "10", "--eta", "-1")),
    (lambda: engram.idp_map([0.0]), ("idp", "map", "--kappa", "0")),
    (lambda: engram.idp_reduced([1.0], [0.1, 0.2], t_max=1), ("idp", "reduced", "--saliency", "1", "--start", "0.1,0.2", "--t-max", "1")),
    (lambda: engram.idp_simulate(64, 2, 1.0, saliency=[1.0]), ("idp", "simulate", "--n", "64", "--p", "2", "--t-max", "1", "--saliency", "1")),
    (lambda: engram.kh_relax("b", nh=0), ("kh", "relax", "--model", "b", "--nh", "0")),
    (lambda: engram.hopfield_simulate(40, 0.1, 4, interaction="cube"), ("hopfield-classic", "simulate", "--n", "40", "--alpha", "0.1", "--samples", "4", "--interaction", "cube")),
]


@pytest.mark.parametrize("case", range(len(BAD)))
def test_bad_input_is_a_value_error_with_the_cli_message(case):
    call, args = BAD[case]
    with pytest.raises(ValueError) as e:
        call()
    if args is not None:
        assert str(e.value) == cli_error(*args)


def test_memory_and_runtime_errors():
    # a store that does not fit the memory budget: refused before allocating, as on the CLI
    with pytest.raises((MemoryError, ValueError)) as e:
        engram.simulate(60, 0.5, 0.5, 10, memory_gib=0.01, targets=1, progress=False)
    assert str(e.value) == cli_error("dam", "simulate", "--ensemble", "gaussian", "--n", "60", "--alpha", "0.5", "--lambda", "0.5", "--samples", "10", "--memory-gib", "0.01", "--targets", "1")
    # a run over its time limit is refused with the estimate
    with pytest.raises(ValueError, match="max-hours"):
        engram.simulate(40, 0.45, 0.5, 10**6, targets="all", max_hours=1e-6, progress=False)
    with pytest.raises(ValueError):
        engram.load("/nonexistent/study")
