"""numpy reference of the K-target protocol, written as a user would (issue #11 speed reference).

One float32 pattern store per sample, K targets = its first K patterns, all K states updated
together as one attention step: logits = lam * X @ Xi.T, softmax per row, T = W @ Xi; converged
rows leave the batch. Gaussian patterns, x0 = xi^k, eta = 0.5, xtol = 1e-6, max_steps = 1000.

Usage: python3 benches/numpy_ktarget.py [N] [alpha] [lambda] [K] [stores]
Prints seconds per store and per retrieval target.
"""
import sys
import time

import numpy as np


def store(rng, n, p, lam, k, eta=0.5, xtol=1e-6, max_steps=1000):
    xi = rng.standard_normal((p, n), dtype=np.float32)
    x = xi[:k].copy()
    steps = np.zeros(k, dtype=np.int64)
    active = np.arange(k)
    lam = np.float32(lam)
    while active.size:
        xa = x[active]
        logits = lam * (xa @ xi.T)
        logits -= logits.max(axis=1, keepdims=True)
        w = np.exp(logits)
        w /= w.sum(axis=1, keepdims=True)
        dx = -eta * (xa - w @ xi)
        x[active] = xa + dx
        steps[active] += 1
        moving = np.sqrt((dx * dx).sum(axis=1) / n) >= xtol
        active = active[moving & (steps[active] < max_steps)]
    d0 = ((x - xi[:k]) ** 2).sum(axis=1) / n
    return d0, steps


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    alpha = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
    lam = float(sys.argv[3]) if len(sys.argv) > 3 else 0.3
    k = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    stores = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    p = int(round(np.exp(alpha * n)))
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    d0, steps = [], 0
    for _ in range(stores):
        d, s = store(rng, n, p, lam, k)
        d0.extend(d)
        steps += int(s.sum())
    dt = time.perf_counter() - t0
    print(f"numpy {np.__version__}: N={n} alpha={alpha} lambda={lam} P={p} K={k} stores={stores}")
    print(
        f"seconds_per_store={dt / stores:.4f} seconds_per_target={dt / (stores * k):.5f} "
        f"target_steps={steps} mean_delta0={np.mean(d0):.3f}"
    )


if __name__ == "__main__":
    main()
