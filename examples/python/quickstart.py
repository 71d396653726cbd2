"""engram from Python in a few lines: thresholds, a REM point, a simulation against its theory,
an IDP threshold. Run: python examples/python/quickstart.py (after `pip install ./python`)."""

import numpy as np

import engram

# α₁(λ) on a grid, against its closed form λ − λ²/2 (gaussian, λ ≤ 1; docs/theory.md#alpha-1)
lam = np.linspace(0.05, 1.0, 20)
a1 = engram.alpha_1(lam, ensemble="gaussian")
print("max |α₁ − (λ − λ²/2)| =", np.max(np.abs(a1 - (lam - lam**2 / 2))))

# the whole threshold table, as the CSV of `engram dam thresholds`
t = engram.thresholds([0.5, 1.0, 2.0], ensemble="binary")
for row in zip(t["lambda"], t["alpha_1"], t["alpha_c"], t["phase_at_alpha_1"]):
    print("λ = %.1f  α₁ = %.4f  α_c ≥ %.4f  (%s)" % row)

# the auxiliary REM on a broadcast (α, λ) grid: columns of shape (3, 2)
rem = engram.rem(np.array([[0.1], [0.3], [0.5]]), [0.5, 2.0])
print("φ(α, λ, 1):\n", rem["phi"], "\nphase:\n", rem["phase"])

# a simulation at N = 20 beside its theory (docs/theory.md#simulator)
sim = engram.simulate(n=20, alpha=[0.1, 0.2, 0.3, 0.4], lam=0.3, samples=400, progress=False)
for a, p, lo, hi in zip(sim["alpha"], sim["p_retrieved"], sim["p_retrieved_lo"], sim["p_retrieved_hi"]):
    print(f"α = {a:.2f}: p_retrieved = {p:.3f} [{lo:.3f}, {hi:.3f}]")
print("α₁(0.3) =", sim["alpha_1_theory"][0], "(N → ∞)")

# the energy and one attention step on your own patterns
rng = np.random.default_rng(0)
xi = rng.standard_normal((100, 16))
x = xi[0] + 0.3 * rng.standard_normal(16)
print("E(x) =", engram.energy(x, xi, lam=2.0), " E(step) =", engram.energy(engram.step(x, xi, 2.0), xi, 2.0))

# an IDP threshold: the existence threshold α_exist = 1/Ψ'(0) = 1/β of tanh (docs/theory.md#idp)
fp = engram.idp_fixed_point(saliency=1.0, gain=[2.0, 5.0])
print("α_exist(β = 2, 5) =", fp["alpha_exist"])
