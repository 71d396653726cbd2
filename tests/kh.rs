//! docs/theory.md#two-group checks: the two-group network against its effective model, energy descent, the
//! classic Hopfield RS theory against an independent fixed-point iteration and simulation,
//! incremental asynchronous dynamics against a naive implementation, capacities, and the
//! diffusion-model / DAM correspondence. Long checks: `cargo test --release -- --ignored`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use engram::diffusion::{reverse_sde, spherical_patterns, PatternSet};
use engram::hopfield::{
    energy, naive_update, random_spins, rs_alpha_c, rs_overlap, run_async, sweep, AsyncParams,
    Interaction,
};
use engram::two_group::{Lagrangian, LnCosh, LogSumExp, Norm, Quadratic, SumAbs, SumF, TwoGroup};

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn gaussian_memories(nh: usize, nf: usize, seed: u64) -> Vec<f64> {
    use rand_distr::{Distribution, StandardNormal};
    let mut r = rng(seed);
    (0..nh * nf)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut r);
            z / (nf as f64).sqrt()
        })
        .collect()
}

/// docs/theory.md#two-group: α_c = 0.138 with overlap ≈ 0.967 at α_c (zero-temperature RS).
#[test]
fn rs_alpha_c_reference() {
    let (ac, m, _) = rs_alpha_c();
    assert!((ac - 0.138).abs() < 5e-4, "{ac}");
    assert!((m - 0.967).abs() < 1e-3, "{m}");
    assert!(rs_overlap(0.14).unwrap().is_none());
}

/// The reduced RS equation against the original three AGS equations solved by damped
/// fixed-point iteration: m = erf(m/√(2αr)), C = √(2/(παr)) e^{−m²/(2αr)}, r = 1/(1−C)².
#[test]
fn rs_overlap_matches_ags_iteration() {
    for alpha in [0.02, 0.05, 0.1, 0.13] {
        let (mut m, mut c, mut r) = (1.0f64, 0.0f64, 1.0f64);
        for _ in 0..20_000 {
            let y = m / (2.0 * alpha * r).sqrt();
            let m2 = puruspe::erf(y);
            let c2 = (2.0 / (std::f64::consts::PI * alpha * r)).sqrt() * (-y * y).exp();
            let r2 = 1.0 / (1.0 - c2).powi(2);
            m = 0.5 * m + 0.5 * m2;
            c = 0.5 * c + 0.5 * c2;
            r = 0.5 * r + 0.5 * r2;
        }
        let _ = c;
        let want = rs_overlap(alpha).unwrap().unwrap();
        assert!((m - want).abs() < 1e-9, "alpha={alpha}: {m} vs {want}");
    }
}

/// The incremental sweep equals the naive one (recomputed fields) flip for flip, for every
/// interaction, and the energy never increases along it.
#[test]
fn incremental_sweep_matches_naive() {
    for interaction in [
        Interaction::Power(2),
        Interaction::Power(3),
        Interaction::RectifiedPower(4),
        Interaction::Exp,
    ] {
        let (n, p) = (40, 25);
        let mut r = rng(5);
        let rows: Vec<f64> = (0..p).flat_map(|_| random_spins(&mut r, n)).collect();
        let mut cm = vec![0.0; n * p];
        for mu in 0..p {
            for i in 0..n {
                cm[i * p + mu] = rows[mu * n + i];
            }
        }
        let mut s1 = random_spins(&mut r, n);
        // start near pattern 0 for the exponential model (its scale), random otherwise
        if interaction == Interaction::Exp {
            for i in 0..n {
                if i % 4 != 0 {
                    s1[i] = rows[i];
                }
            }
        }
        let mut s2 = s1.clone();
        let mut m: Vec<f64> = (0..p)
            .map(|mu| (0..n).map(|i| rows[mu * n + i] * s1[i]).sum())
            .collect();
        let mut a = vec![0.0; p];
        let order: Vec<usize> = (0..n).rev().collect();
        for _ in 0..3 {
            let e0 = energy(interaction, &rows, n, &s1);
            sweep(interaction, &cm, p, &mut s1, &mut m, &order, &mut a);
            for &i in &order {
                naive_update(interaction, &rows, n, &mut s2, i);
            }
            assert_eq!(s1, s2, "{interaction:?}");
            assert!(energy(interaction, &rows, n, &s1) <= e0 + 1e-9 * e0.abs());
        }
    }
}

fn mean_overlap(n: usize, alpha: f64, samples: u64) -> (f64, f64) {
    let p = (alpha * n as f64).round() as usize;
    let params = AsyncParams {
        n,
        p,
        interaction: Interaction::Power(2),
        flip_fraction: 0.0,
        max_sweeps: 100,
        seed: 1,
    };
    let ms: Vec<f64> = (0..samples)
        .map(|s| run_async(&params, s).unwrap().overlap)
        .collect();
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    let frac = ms.iter().filter(|&&m| m > 0.9).count() as f64 / ms.len() as f64;
    (mean, frac)
}

/// Classic Hopfield (F = x², zero temperature, N = 1000): well below α_c the retrieval state
/// has the RS overlap (within 0.01; RS m(0.08) = 0.9998), well above it is lost (< 0.5).
#[test]
fn classic_hopfield_retrieval() {
    let (m_lo, _) = mean_overlap(1000, 0.08, 8);
    let rs = rs_overlap(0.08).unwrap().unwrap();
    assert!((m_lo - rs).abs() < 0.01, "{m_lo} vs {rs}");
    let (m_hi, _) = mean_overlap(1000, 0.2, 8);
    assert!(m_hi < 0.5, "{m_hi}");
}

/// The capacity by simulation: the α at which half the samples keep m > 0.9, at N = 1000,
/// 2000, 4000 (40 samples per point). At these sizes retrieval survives above α_c
/// (metastable states, measured 0.165, 0.160, 0.153 in one run); the finite-size shift scales
/// as N^{-1/2}, and the straight-line extrapolation in N^{-1/2} must land within 0.006 of the
/// RS α_c = 0.138.
#[test]
#[ignore]
fn classic_hopfield_alpha_c_by_simulation() {
    let (ac, _, _) = rs_alpha_c();
    let mut pts = Vec::new();
    for n in [1000usize, 2000, 4000] {
        let grid: Vec<f64> = (0..9).map(|k| 0.11 + 0.01 * k as f64).collect();
        let fr: Vec<f64> = grid.iter().map(|&a| mean_overlap(n, a, 40).1).collect();
        let k = fr.iter().position(|&f| f < 0.5).expect("no drop");
        let cross = if k == 0 {
            grid[0]
        } else {
            let t = (fr[k - 1] - 0.5) / (fr[k - 1] - fr[k]);
            grid[k - 1] + t * 0.01
        };
        eprintln!("N = {n}: alpha_1/2 = {cross:.4} (RS alpha_c = {ac:.4}), fractions {fr:?}");
        pts.push((1.0 / (n as f64).sqrt(), cross));
    }
    let (sx, sy) = (
        pts.iter().map(|p| p.0).sum::<f64>() / 3.0,
        pts.iter().map(|p| p.1).sum::<f64>() / 3.0,
    );
    let slope = pts.iter().map(|p| (p.0 - sx) * (p.1 - sy)).sum::<f64>()
        / pts.iter().map(|p| (p.0 - sx).powi(2)).sum::<f64>();
    let a_inf = sy - slope * sx;
    eprintln!("extrapolated in N^-1/2: alpha_c = {a_inf:.4}");
    assert!((a_inf - ac).abs() < 0.006, "{a_inf}");
}

/// Exponential DAM, binary patterns (docs/theory.md#two-group): one sweep from Hamming distance ρN retrieves
/// ξ¹ for α < ½ I(1 − 2ρ) (sufficient condition). At α = 0.6 × the bound, N = 40, ρ = 0.1:
/// ≥ 95% of 40 samples end exactly on ξ¹.
#[test]
fn exponential_dam_one_step_retrieval() {
    let rho: f64 = 0.1;
    let x = 1.0 - 2.0 * rho;
    let i = 0.5 * ((1.0 + x) * (1.0 + x).ln() + (1.0 - x) * (1.0 - x).ln());
    let bound = 0.5 * i;
    let n = 40;
    let alpha = 0.6 * bound;
    let params = AsyncParams {
        n,
        p: (alpha * n as f64).exp().round() as usize,
        interaction: Interaction::Exp,
        flip_fraction: rho,
        max_sweeps: 1,
        seed: 4,
    };
    let ok = (0..40)
        .filter(|&s| run_async(&params, s).unwrap().overlap == 1.0)
        .count();
    assert!(
        ok >= 38,
        "{ok}/40 retrieved at alpha = {alpha}, bound {bound}"
    );
}

/// Polynomial DAM capacity ∝ N^{n−1} (docs/theory.md#two-group): the largest P at which ξ¹ survives one sweep
/// unchanged in half the samples. Signal-to-noise gives P_c ≈ N^{n−1}/(2c ln(N/ln 2)) (all N
/// spins must be stable), so the log-log slope of P_c · ln(N/ln 2) must approach n − 1; at
/// these sizes it is asserted within (n − 1) − 0.7 .. (n − 1) + 0.3 and printed (measured:
/// 1.75 for n = 3, 2.87 for n = 4; the local slope steepens with N). About 2 s.
#[test]
fn polynomial_capacity_scaling() {
    for (n_pow, sizes) in [(3u32, [40usize, 80, 160]), (4, [20, 40, 80])] {
        let mut pts = Vec::new();
        for n in sizes {
            let stable = |p: usize| -> f64 {
                let params = AsyncParams {
                    n,
                    p,
                    interaction: Interaction::Power(n_pow),
                    flip_fraction: 0.0,
                    max_sweeps: 1,
                    seed: 2,
                };
                (0..40)
                    .filter(|&s| run_async(&params, s).unwrap().converged)
                    .count() as f64
                    / 40.0
            };
            let (mut lo, mut hi) = (1usize, 2usize);
            while stable(hi) >= 0.5 {
                lo = hi;
                hi *= 2;
            }
            while hi - lo > 1.max(lo / 50) {
                let mid = (lo + hi) / 2;
                if stable(mid) >= 0.5 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let nf = n as f64;
            eprintln!("n = {n_pow}, N = {n}: P_c = {lo}");
            pts.push((
                nf.ln(),
                (lo as f64).ln(),
                (lo as f64 * (nf / 2f64.ln()).ln()).ln(),
            ));
        }
        let raw = (pts[2].1 - pts[0].1) / (pts[2].0 - pts[0].0);
        let corrected = (pts[2].2 - pts[0].2) / (pts[2].0 - pts[0].0);
        eprintln!(
            "n = {n_pow}: slope {raw:.3}, with the log correction {corrected:.3} (theory {})",
            n_pow - 1
        );
        let target = (n_pow - 1) as f64;
        assert!(
            corrected > target - 0.7 && corrected < target + 0.3,
            "{corrected}"
        );
        let _ = raw;
    }
}

fn energy_descends(lv: &dyn Lagrangian, lh: &dyn Lagrangian, tol: f64) {
    let (nf, nh) = (12, 5);
    let xi = gaussian_memories(nh, nf, 3);
    let input = vec![0.0; nf];
    let net = TwoGroup {
        xi: &xi,
        nf,
        nh,
        lv,
        lh,
        input: &input,
        tau_f: 1.0,
        tau_h: 0.3,
    };
    let mut v: Vec<f64> = (0..nf)
        .map(|i| 0.3 * ((i as f64) * 1.7).sin() + 0.1)
        .collect();
    let mut h = vec![0.05; nh];
    let mut e_prev = net.energy(&v, &h);
    let mut worst: f64 = 0.0;
    net.integrate(&mut v, &mut h, 0.005, 2000, |_, v, h| {
        let e = net.energy(v, h);
        worst = worst.max(e - e_prev);
        e_prev = e;
    })
    .unwrap();
    assert!(
        worst <= tol,
        "{} / {}: energy rose by {worst}",
        lv.name(),
        lh.name()
    );
}

/// E never increases along the full two-group trajectories (RK4, dt = 0.005): models
/// A-classic, B, C (even power, PSD Hessian) to 1e-12, and model A (sign activation: the
/// energy jumps down when a feature changes sign) to the same tolerance.
#[test]
fn two_group_energy_descent() {
    energy_descends(&LnCosh::new(2.0).unwrap(), &Quadratic, 1e-12);
    energy_descends(&Quadratic, &LogSumExp::new(3.0).unwrap(), 1e-12);
    energy_descends(&Norm, &SumF::power(4).unwrap(), 1e-12);
    energy_descends(&SumAbs, &SumF::power(2).unwrap(), 1e-12);
    energy_descends(&Quadratic, &SumF::Exp, 1e-12);
}

/// As τ_h/τ_f → 0 the full network's trajectory approaches the effective model's: the
/// distance at t = 2 shrinks proportionally to τ_h (model B and A-classic), and the fixed
/// points (after t = 32, still relaxing at ~1e-8) agree to 1e-6 and energies to 1e-8.
#[test]
fn two_group_approaches_effective_model() {
    let (nf, nh) = (10, 4);
    let xi = gaussian_memories(nh, nf, 8);
    let input = vec![0.0; nf];
    let lv_b = Quadratic;
    let lh_b = LogSumExp::new(4.0).unwrap();
    let lv_a = LnCosh::new(3.0).unwrap();
    let lh_a = Quadratic;
    for (lv, lh) in [
        (&lv_b as &dyn Lagrangian, &lh_b as &dyn Lagrangian),
        (&lv_a as &dyn Lagrangian, &lh_a as &dyn Lagrangian),
    ] {
        let v0: Vec<f64> = (0..nf)
            .map(|i| 0.5 * xi[i] * 3.0 + 0.05 * (i as f64).cos())
            .collect();
        let mut dists = Vec::new();
        for tau_h in [0.1, 0.01] {
            let net = TwoGroup {
                xi: &xi,
                nf,
                nh,
                lv,
                lh,
                input: &input,
                tau_f: 1.0,
                tau_h,
            };
            let mut v = v0.clone();
            let mut g = vec![0.0; nf];
            lv.grad(&v, &mut g);
            // hidden neurons start at their instantaneous value h = ξ g(v)
            let mut h: Vec<f64> = (0..nh)
                .map(|mu| (0..nf).map(|i| xi[mu * nf + i] * g[i]).sum())
                .collect();
            let dt = tau_h / 20.0;
            net.integrate(&mut v, &mut h, dt, (2.0 / dt) as usize, |_, _, _| {})
                .unwrap();
            let mut ve = v0.clone();
            net.integrate_effective(&mut ve, dt, (2.0 / dt) as usize)
                .unwrap();
            dists.push(
                v.iter()
                    .zip(&ve)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    .sqrt(),
            );
            // long-time fixed points
            net.integrate(&mut v, &mut h, dt, (30.0 / dt) as usize, |_, _, _| {})
                .unwrap();
            net.integrate_effective(&mut ve, dt, (30.0 / dt) as usize)
                .unwrap();
            let fp: f64 = v
                .iter()
                .zip(&ve)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(fp < 1e-6, "{}: fixed points differ by {fp}", lh.name());
            assert!((net.energy(&v, &h) - net.effective_energy(&ve)).abs() < 1e-8);
        }
        let ratio = dists[1] / dists[0];
        assert!(
            ratio > 0.05 && ratio < 0.2,
            "{}: distances {dists:?}",
            lh.name()
        );
    }
}

/// Model B's effective energy is docs/theory.md#dam's energy at λ = β (computed by the diffusion module's
/// independent log-sum-exp), and model C's depends only on v/‖v‖.
#[test]
fn effective_energies() {
    let (nf, nh) = (16, 6);
    let xi = gaussian_memories(nh, nf, 11);
    let input = vec![0.0; nf];
    let beta = 2.5;
    let lh = LogSumExp::new(beta).unwrap();
    let net = TwoGroup {
        xi: &xi,
        nf,
        nh,
        lv: &Quadratic,
        lh: &lh,
        input: &input,
        tau_f: 1.0,
        tau_h: 1.0,
    };
    let set = PatternSet::new(xi.clone(), nf).unwrap();
    let mut r = rng(1);
    for _ in 0..20 {
        let v = random_spins(&mut r, nf)
            .iter()
            .map(|s| 0.3 * s)
            .collect::<Vec<_>>();
        let e = net.effective_energy(&v);
        let want = set.dam_energy(&v, beta);
        assert!(
            (e - want).abs() < 1e-12 * want.abs().max(1.0),
            "{e} vs {want}"
        );
    }
    let lh_c = SumF::power(4).unwrap();
    let net_c = TwoGroup {
        xi: &xi,
        nf,
        nh,
        lv: &Norm,
        lh: &lh_c,
        input: &input,
        tau_f: 1.0,
        tau_h: 1.0,
    };
    let v: Vec<f64> = (0..nf).map(|i| (i as f64 * 0.7).sin()).collect();
    for c in [0.1, 3.0, 50.0] {
        let vc: Vec<f64> = v.iter().map(|x| c * x).collect();
        assert!((net_c.effective_energy(&vc) - net_c.effective_energy(&v)).abs() < 1e-12);
    }
}

#[test]
fn bad_parameters() {
    assert!(LogSumExp::new(-1.0)
        .unwrap_err()
        .to_string()
        .contains("beta"));
    assert!(LnCosh::new(0.0).unwrap_err().to_string().contains("beta"));
    assert!(SumF::power(1).unwrap_err().to_string().contains("n"));
    assert!(Interaction::power(1).unwrap_err().to_string().contains("n"));
    let xi = vec![0.0; 4];
    let input = vec![0.0; 2];
    let net = TwoGroup {
        xi: &xi,
        nf: 2,
        nh: 2,
        lv: &Quadratic,
        lh: &Quadratic,
        input: &input,
        tau_f: 0.0,
        tau_h: 1.0,
    };
    assert!(net.validate().unwrap_err().to_string().contains("tau_f"));
}

/// For equal-norm (spherical) patterns −s² log p_t(x) − E_DAM(x; λ = 1/s²) is the same for
/// every x (to 1e-9 relative), the score is the gradient of log p_t (central differences), and
/// the denoiser is one attention update x ← Σ softmax(λ ξ·x) ξ.
#[test]
fn diffusion_energy_score_denoiser() {
    let (n, p) = (20, 30);
    let set = spherical_patterns(n, p, 3, 0).unwrap();
    let mut r = rng(2);
    for s2 in [0.05, 0.5, 4.0] {
        let mut consts = Vec::new();
        for _ in 0..10 {
            let x: Vec<f64> = random_spins(&mut r, n).iter().map(|v| 0.7 * v).collect();
            consts.push(-s2 * set.log_density(&x, s2) - set.dam_energy(&x, 1.0 / s2));
            // score vs finite differences
            let mut sc = vec![0.0; n];
            set.score(&x, s2, &mut sc);
            for i in [0, 7] {
                let h = 1e-6;
                let mut xp = x.clone();
                xp[i] += h;
                let mut xm = x.clone();
                xm[i] -= h;
                let fd = (set.log_density(&xp, s2) - set.log_density(&xm, s2)) / (2.0 * h);
                assert!(
                    (fd - sc[i]).abs() < 1e-5 * sc[i].abs().max(1.0),
                    "{fd} vs {}",
                    sc[i]
                );
            }
            // attention update at λ = 1/s²
            let lambda = 1.0 / s2;
            let logits: Vec<f64> = set
                .xi
                .chunks(n)
                .map(|row| lambda * row.iter().zip(&x).map(|(a, b)| a * b).sum::<f64>())
                .collect();
            let mx = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = logits.iter().map(|l| (l - mx).exp()).collect();
            let z: f64 = w.iter().sum();
            let mut d = vec![0.0; n];
            set.denoise(&x, s2, &mut d);
            for i in 0..n {
                let att: f64 = set
                    .xi
                    .chunks(n)
                    .zip(&w)
                    .map(|(row, wm)| wm * row[i])
                    .sum::<f64>()
                    / z;
                assert!((att - d[i]).abs() < 1e-9, "{att} vs {}", d[i]);
            }
        }
        let spread = consts.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            - consts.iter().cloned().fold(f64::INFINITY, f64::min);
        assert!(
            spread < 1e-9 * consts[0].abs().max(1.0),
            "s2={s2}: {consts:?}"
        );
    }
}

/// Symmetry breaking (docs/theory.md#two-group): the Jacobian of the denoiser map x ← E[ξ|x] at its central
/// fixed point x* is β Cov_w(ξ) (the posterior covariance), which tends to β C as β → 0: its
/// spectral radius ρ(β) is within 5% of β λ_max(C) at β λ_max = 0.1 and below 1 at 0.5
/// (stable centre). With finite P the centre deforms continuously, so the measured ρ = 1
/// crossing is only near β λ_max(C) = 1; the test prints it (closing note).
#[test]
fn diffusion_symmetry_breaking() {
    let (n, p) = (10, 40);
    let set = spherical_patterns(n, p, 9, 0).unwrap();
    let lmax = set.cov_lambda_max();
    let mut mean = vec![0.0; n];
    for row in set.xi.chunks(n) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / p as f64;
        }
    }
    let rho = |factor: f64| -> f64 {
        let s2 = lmax / factor;
        let mut x = mean.clone();
        let mut d = vec![0.0; n];
        for _ in 0..5000 {
            set.denoise(&x, s2, &mut d);
            x.copy_from_slice(&d);
        }
        let w = set.weights(&x, s2);
        // power iteration on β Cov_w, Cov_w u = Σ w_μ ξ_μ (ξ_μ·u) − x*(x*·u)
        let mut u = vec![1.0; n];
        let mut lam = 0.0;
        for _ in 0..2000 {
            let xu: f64 = x.iter().zip(&u).map(|(a, b)| a * b).sum();
            let mut cu: Vec<f64> = x.iter().map(|v| -v * xu).collect();
            for (row, &wm) in set.xi.chunks(n).zip(&w) {
                let d: f64 = row.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>() * wm;
                for (o, &v) in cu.iter_mut().zip(row) {
                    *o += d * v;
                }
            }
            let norm = cu.iter().map(|v| v * v).sum::<f64>().sqrt();
            lam = norm / u.iter().map(|v| v * v).sum::<f64>().sqrt();
            u = cu.iter().map(|v| v / norm).collect();
        }
        lam / s2
    };
    for f in [0.1, 0.5, 1.0, 2.0, 5.0] {
        eprintln!(
            "beta lambda_max(C) = {f}: spectral radius at the centre {:.4}",
            rho(f)
        );
    }
    let r01 = rho(0.1);
    assert!((r01 / 0.1 - 1.0).abs() < 0.05, "rho(0.1) = {r01}");
    assert!(rho(0.5) < 1.0);
    let (mut lo, mut hi) = (0.5, 5.0);
    if rho(hi) > 1.0 {
        for _ in 0..30 {
            let mid = 0.5 * (lo + hi);
            if rho(mid) < 1.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        eprintln!(
            "central fixed point loses stability at beta lambda_max(C) = {:.4}",
            0.5 * (lo + hi)
        );
    } else {
        eprintln!("central fixed point stable up to beta lambda_max(C) = 5");
    }
}

/// Reverse SDE with the exact score (σ = 1, t from 20 to 1e-3): with few patterns (N = 20,
/// α = 0.1, P = 7) every trajectory ends on a training pattern (Δ < 0.01) — memorisation.
#[test]
fn diffusion_reverse_sde_memorises() {
    let n = 20;
    let p = (0.1f64 * n as f64).exp().round() as usize;
    let set = spherical_patterns(n, p, 5, 0).unwrap();
    let mut r = rng(7);
    for _ in 0..20 {
        let o = reverse_sde(&set, 20.0, 1e-3, 400, &mut r).unwrap();
        assert!(o.delta_min < 0.01 && o.w_max > 0.99, "{o:?}");
        assert!(o.s2_condensed > 0.0);
    }
}

/// λ_max of the pattern covariance against a closed form: patterns ±3e₁, ±e₂ have mean 0 and
/// C = diag(9/2, 1/2, 0, …), so λ_max = 4.5; a single repeated pattern has C = 0.
#[test]
fn covariance_lambda_max_closed_form() {
    let n = 5;
    let mut xi = vec![0.0; 4 * n];
    xi[0] = 3.0;
    xi[n] = -3.0;
    xi[2 * n + 1] = 1.0;
    xi[3 * n + 1] = -1.0;
    let set = PatternSet::new(xi, n).unwrap();
    assert!((set.cov_lambda_max() - 4.5).abs() < 1e-10);
    let same = PatternSet::new(vec![1.0, 2.0, 1.0, 2.0], 2).unwrap();
    assert_eq!(same.cov_lambda_max(), 0.0);
}

/// The REM condensation noise (tentative prediction) is the root of its defining condition
/// λ = φ(α, λ, 1 + s²), λ = 1/s², checked with the REM module: the condition holds just below
/// the returned s² and fails just above, and the root moves down as α grows (more patterns
/// compete).
#[test]
fn rem_condensation_noise_is_the_root() {
    use engram::diffusion::s2_condensation_rem;
    use engram::ensembles::Spherical;
    use engram::rem::{phi, RemPoint};
    let g = |alpha: f64, s2: f64| {
        1.0 / s2
            - phi(
                &Spherical,
                RemPoint::new(alpha, 1.0 / s2, 1.0 + s2).unwrap(),
            )
            .unwrap()
            .0
    };
    let mut prev = f64::INFINITY;
    for alpha in [0.1, 0.2, 0.3, 0.5] {
        let s2 = s2_condensation_rem(alpha).unwrap().unwrap();
        assert!(
            g(alpha, s2 * (1.0 - 1e-6)) > 0.0 && g(alpha, s2 * (1.0 + 1e-6)) < 0.0,
            "{alpha}"
        );
        assert!(s2 < prev);
        prev = s2;
    }
}

/// Limit of a single pattern: the posterior weight is 1 from the start, so the condensation
/// noise equals t_max and the trajectory ends on the pattern.
#[test]
fn reverse_sde_single_pattern_limit() {
    let set = spherical_patterns(8, 1, 3, 0).unwrap();
    let o = reverse_sde(&set, 5.0, 1e-3, 200, &mut rng(4)).unwrap();
    assert_eq!(o.s2_condensed, 5.0);
    assert!(o.delta_min < 0.01 && o.w_max == 1.0, "{o:?}");
}

/// P = round(αN) (powers) or round(e^{αN}) (exp), and the load back from P.
#[test]
fn interaction_patterns_and_load() {
    let f = Interaction::Power(2);
    assert_eq!(f.patterns(0.138, 1000).unwrap(), 138);
    assert!((f.load(138, 1000) - 0.138).abs() < 1e-15);
    let e = Interaction::Exp;
    assert_eq!(e.patterns(0.2, 40).unwrap(), (8f64).exp().round() as usize);
    assert!((e.load(2981, 40) - 0.2).abs() < 1e-4);
    assert!(f
        .patterns(0.001, 100)
        .unwrap_err()
        .to_string()
        .contains("alpha"));
}

/// `relax_compare`, model B (the modern Hopfield network): started at memory 0 plus noise it
/// retrieves the memory (cosine > 0.99), the two energies meet, and the distance to the
/// effective trajectory is small for τ_h = 0.01.
#[test]
fn relax_compare_model_b_retrieves() {
    use engram::two_group::{relax_compare, Model};
    let rec = relax_compare(Model::B { beta: 4.0 }, 32, 8, 1.0, 0.01, 10.0, 10, 1).unwrap();
    let last = rec.last().unwrap();
    assert!(last.overlap > 0.99, "{last:?}");
    assert!(
        (last.energy - last.energy_effective).abs() < 1e-6,
        "{last:?}"
    );
    assert!(rec.iter().all(|r| r.distance < 1e-3));
}

/// The collapse noise of Biroli et al. (2024), s_C² = 1/(e^{2α} − 1), equals the REM basin
/// route (a scan and bisection on the numerical spherical free energy φ, an independent
/// computation) to 1e-6 relative, and its α → 0 limit 1/(2α).
#[test]
fn collapse_closed_form_equals_rem_basin() {
    use engram::diffusion::{s2_collapse, s2_condensation_rem};
    for alpha in [0.05, 0.1, 0.2, 0.3, 0.5, 0.8] {
        let c = s2_collapse(alpha).unwrap();
        let r = s2_condensation_rem(alpha).unwrap().unwrap();
        assert!((c - r).abs() < 1e-6 * c, "alpha {alpha}: {c} vs REM {r}");
    }
    let a = 1e-6;
    assert!((s2_collapse(a).unwrap() * 2.0 * a - 1.0).abs() < 1e-5);
    assert!(s2_collapse(0.0).is_err() && s2_collapse(f64::NAN).is_err());
}

/// The forward draw's log-odds ln((1 − w₁)/w₁) equal the posterior weight of ξ¹ computed by
/// the diffusion model itself (PatternSet::weights at x = ξ¹ + s z), for several s.
#[test]
fn forward_draw_matches_the_posterior_weight() {
    use engram::diffusion::ForwardDraw;
    use rand_distr::{Distribution, StandardNormal};
    let set = spherical_patterns(16, 40, 5, 0).unwrap();
    let mut r = rng(9);
    let z: Vec<f64> = (0..16).map(|_| StandardNormal.sample(&mut r)).collect();
    let mut d = ForwardDraw::from_vectors(&set, &z).unwrap();
    for s2 in [0.3, 1.0, 2.0, 5.0] {
        let x: Vec<f64> = set.xi[..16]
            .iter()
            .zip(&z)
            .map(|(a, b)| a + f64::sqrt(s2) * b)
            .collect();
        let w = set.weights(&x, s2);
        // ln of (sum of the other weights)/w₁, without the cancellation of 1 − w₁
        let want = (w[1..].iter().sum::<f64>() / w[0]).ln();
        let lo = d.log_odds_against(s2);
        assert!(
            (want - lo).abs() < 1e-9 * want.abs().max(1.0),
            "s2 {s2}: {want} vs {lo}"
        );
    }
}

/// The O(P) projection sampler against full spherical vectors: the median collapse noise of
/// 400 draws from each agrees within 3.5 combined standard errors (N = 12, P = 30).
#[test]
fn forward_sampler_against_full_vectors() {
    use engram::diffusion::ForwardDraw;
    use engram::stats::median_with_error;
    use rand_distr::{Distribution, StandardNormal};
    let (n, p, draws) = (12usize, 30usize, 400u64);
    let mut reduced: Vec<f64> = (0..draws)
        .map(|d| {
            ForwardDraw::new(n, p, &mut engram::ensembles::sample_rng(3, d))
                .unwrap()
                .collapse_s2()
                .unwrap()
        })
        .collect();
    let mut full: Vec<f64> = (0..draws)
        .map(|d| {
            let set = spherical_patterns(n, p, 11, d).unwrap();
            let mut r = engram::ensembles::sample_rng(13, d);
            let z: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut r)).collect();
            ForwardDraw::from_vectors(&set, &z)
                .unwrap()
                .collapse_s2()
                .unwrap()
        })
        .collect();
    reduced.sort_by(f64::total_cmp);
    full.sort_by(f64::total_cmp);
    let (a, ea) = median_with_error(&reduced);
    let (b, eb) = median_with_error(&full);
    assert!(
        (a - b).abs() < 3.5 * (ea * ea + eb * eb).sqrt(),
        "reduced {a} ± {ea} vs full {b} ± {eb}"
    );
}
