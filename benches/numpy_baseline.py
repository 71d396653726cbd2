"""Straightforward numpy implementation of the docs/theory.md#simulator protocol, the speed baseline of issue #3.

Gaussian patterns, x0 = xi^1, eta = 0.5, xtol = 1e-6, max_steps = 1000, P = round(e^{alpha N}).
Usage: python3 benches/numpy_baseline.py [N] [alpha] [lambda] [samples]
Prints seconds per sample (pattern generation + dynamics) and per step.
"""
import sys
import time

import numpy as np


def sample(rng, n, p, lam, eta=0.5, xtol=1e-6, max_steps=1000):
    X = rng.standard_normal((p, n))  # float64, as a user would write it
    x = X[0].copy()
    steps = 0
    while steps < max_steps:
        logits = lam * (X @ x)
        logits -= logits.max()
        w = np.exp(logits)
        w /= w.sum()
        dx = -eta * (x - w @ X)
        x += dx
        steps += 1
        if np.sqrt(dx @ dx / n) < xtol:
            break
    return np.sum((x - X[0]) ** 2) / n, steps


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    alpha = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
    lam = float(sys.argv[3]) if len(sys.argv) > 3 else 0.3
    samples = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    p = int(round(np.exp(alpha * n)))
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    total_steps = 0
    d0 = []
    for _ in range(samples):
        d, s = sample(rng, n, p, lam)
        d0.append(d)
        total_steps += s
    dt = time.perf_counter() - t0
    print(f"numpy {np.__version__}: N={n} alpha={alpha} lambda={lam} P={p} samples={samples}")
    print(f"seconds_per_sample={dt / samples:.4f} seconds_per_step={dt / total_steps:.5f} mean_delta0={np.mean(d0):.3f}")


if __name__ == "__main__":
    main()
