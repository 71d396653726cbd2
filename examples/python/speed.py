"""Speed of engram from Python, measured in one run (docs/performance.md):

1. α₁ on a 20,000-point λ grid: engram.alpha_1 from Python against the same Rust library call
   timed inside Rust (no Python in the loop), and against scipy (brentq per point on the same
   equation λρ₁ = φ(α, λ, ρ₁), gaussian closed-form φ);
2. a K-target simulation from Python against the `engram dam simulate` command line on the
   same inputs (the numbers are identical; this times them).

Run: python examples/python/speed.py [--engram-bin target/release/engram]
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import engram
from engram import _engram


def best(f, repeats):
    t = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t


def scipy_alpha_1(lam):
    from scipy.optimize import brentq

    def phi(a, l):  # gaussian, r = ρ₁ = 1: uncondensed α + λ²/2, condensed λ√(2α)
        return a + l * l / 2 if l < np.sqrt(2 * a) else l * np.sqrt(2 * a)

    return np.array([brentq(lambda a: l - phi(a, l), 1e-12, 10.0, xtol=1e-14) for l in lam])


def main():
    ap = argparse.ArgumentParser()
    root = Path(__file__).resolve().parents[2]
    target = Path(os.environ.get("CARGO_TARGET_DIR", root / "target"))
    ap.add_argument("--engram-bin", default=str(os.environ.get("ENGRAM_BIN", target / "release" / "engram")))
    ap.add_argument("--samples", type=int, default=16384)
    args = ap.parse_args()

    lam = np.linspace(0.01, 2.0, 20_000)
    t_rust = _engram.bench_alpha_1("gaussian", lam, 7)
    t_py = best(lambda: engram.alpha_1(lam, "gaussian"), 7)
    t0 = time.perf_counter()
    ref = scipy_alpha_1(lam)
    t_scipy = time.perf_counter() - t0
    diff = np.max(np.abs(ref - engram.alpha_1(lam, "gaussian")))
    print(f"alpha_1, 20000 points: Rust {t_rust * 1e3:.2f} ms, Python {t_py * 1e3:.2f} ms "
          f"(ratio {t_py / t_rust:.2f}), scipy brentq {t_scipy * 1e3:.0f} ms "
          f"(engram {t_scipy / t_py:.0f}x faster; max difference {diff:.1e})")

    sim = dict(n=30, alpha=0.2, lam=0.3, samples=args.samples, targets="auto", seed=1)
    cmd = [args.engram_bin, "dam", "simulate", "--ensemble", "gaussian", "--n", "30", "--alpha",
           "0.2", "--lambda", "0.3", "--samples", str(args.samples), "--targets", "auto"]
    t_cli = best(lambda: subprocess.run(cmd, check=True, capture_output=True), 3)
    t_sim = best(lambda: engram.simulate(**sim, progress=False), 3)
    print(f"K-target simulation, N = 30, alpha = 0.2, {args.samples} targets: CLI {t_cli:.3f} s, "
          f"Python {t_sim:.3f} s (ratio Python/CLI {t_sim / t_cli:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
