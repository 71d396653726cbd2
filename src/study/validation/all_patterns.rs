//! `[[validation.all_patterns]]`: every pattern of each store is a target: the failure
//! fraction, P(all retrieved), the failing norms and α_c(N), against the norm channel's
//! large-deviation rate I_norm(ρ_f(α)), ρ_f(α) and the α_c lower bound, with the finite-N REM
//! failure fraction beside them.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::dam::batch::{Batch, Targets};
use crate::dam::fss::{crossings_per_n, rem_critical_load, FitReport, Series};
use crate::dam::DamTheory;
use crate::ensembles::sample_rng;
use crate::error::Result;
use crate::plot::{Curve, Figure, Legend, Style};
use crate::stats::{fmt_num as fmt, wilson};

use super::analysis::{fit_summary_rows, fss_rows, summary_row, PointRow, SummaryKey, Tables};
use super::{in_check, w_theta, AllPatternsCheck, Job, JobCx, ValidationPoint, ValidationSection};

impl AllPatternsCheck {
    /// Check label `all:<ensemble>:l<λ>`.
    pub fn label(&self) -> String {
        format!("all:{}:l{}", self.ensemble.name(), fmt(self.lambda.0))
    }
    fn ns(&self, quick: bool) -> Vec<usize> {
        super::sizes(Some(&self.n), quick, 2)
    }
    fn alphas(&self, quick: bool) -> Vec<f64> {
        crate::study::dam::thinned(self.alpha.values(), quick, 3)
    }
    fn batch(&self) -> Batch {
        Batch::shared(Targets::All, None, self.store.0)
    }

    fn row(&self, series: &str, n: usize, alpha: f64, (value, err): (f64, f64)) -> PointRow {
        PointRow::new(&self.label(), series, self.ensemble.name(), n, value, err)
            .at(Some(self.lambda.0), Some(alpha))
    }

    /// Per (N, α): the all-pattern simulation and the finite-N REM failure fraction.
    pub(super) fn points(
        &self,
        v: &ValidationSection,
        c: usize,
        quick: bool,
        stores: usize,
        rem: usize,
    ) -> Result<Vec<ValidationPoint>> {
        let threads = rayon::current_num_threads();
        let batch = self.batch();
        let mut pts = Vec::new();
        for n in self.ns(quick) {
            for alpha in self.alphas(quick) {
                let p = v.sim_params(n, alpha, self.lambda.0);
                p.validate()
                    .and_then(|_| batch.validate(&p, self.ensemble.name()))
                    .and_then(|_| batch.check(&p, stores, v.memory(), threads))
                    .map_err(|e| in_check(&format!("all_patterns[{c}]"), n, alpha, e))?;
                for job in [
                    Job::All { check: c, n, alpha },
                    Job::RemFail { check: c, n, alpha },
                ] {
                    pts.push(v.point(job, self.label(), Some(batch), stores, rem));
                }
            }
        }
        Ok(pts)
    }

    /// All patterns at (N, α): value = failure fraction, err (cluster-robust); value2 =
    /// P(all retrieved), err2 (Wilson over stores); value3 = mean ρ of the failing patterns,
    /// err3; count = failing patterns.
    pub(super) fn all(&self, cx: &JobCx, n: usize, alpha: f64) -> Result<PointRow> {
        let JobCx { v, pt, tick } = *cx;
        let p = v.sim_params(n, alpha, self.lambda.0);
        let stores = pt.count;
        let r = crate::dam::batch::simulate_targets(
            self.ensemble.sampler(),
            &p,
            &self.batch(),
            stores,
            v.memory(),
            tick,
        )?;
        let fail: Vec<f64> = r
            .iter()
            .map(|t| f64::from(t.result.delta0 >= p.threshold))
            .collect();
        let store: Vec<usize> = r.iter().map(|t| t.store).collect();
        let (f, _) = crate::stats::cluster_mean_se(&fail, &store);
        let all_ok = (0..stores)
            .filter(|&s| {
                r.iter()
                    .all(|t| t.store != s || t.result.delta0 < p.threshold)
            })
            .count();
        let pa = wilson(all_ok, stores, 1.0);
        let norms: Vec<f64> = r
            .iter()
            .filter(|t| t.result.delta0 >= p.threshold)
            .map(|t| t.rho)
            .collect();
        let mut row = self.row("fail_fraction", n, alpha, (f.mean, f.se));
        row.value2 = Some(pa.p);
        row.err2 = Some(pa.err);
        if !norms.is_empty() {
            let m = crate::stats::mean_se(&norms);
            row.value3 = Some(m.mean);
            row.err3 = Some(m.se);
        }
        row.count = norms.len();
        row.stores = Some(stores);
        Ok(row)
    }

    /// Finite-N REM failure fraction at (N, α) and weight w_θ: value, err (Wilson); count =
    /// draws.
    pub(super) fn rem_fail(&self, cx: &JobCx, n: usize, alpha: f64) -> Result<PointRow> {
        let JobCx { v, pt, tick } = *cx;
        let w = w_theta(
            v.threshold.0,
            self.ensemble,
            self.lambda.0,
            self.ensemble.ensemble().rho1(),
        )?;
        let p_max = (alpha * n as f64).exp().round();
        let draws = pt.rem_samples;
        let failed = (0..draws as u64)
            .into_par_iter()
            .filter(|&d| {
                rem_critical_load(
                    self.ensemble,
                    n,
                    self.lambda.0,
                    w,
                    p_max,
                    sample_rng(v.seed ^ 0xfa11, d),
                )
                .is_some()
            })
            .count();
        for _ in 0..draws {
            tick();
        }
        let pf = wilson(failed, draws, 1.0);
        let mut row = self.row("rem_fail_fraction", n, alpha, (pf.p, pf.err));
        row.count = draws;
        Ok(row)
    }

    /// α_c(N): where P(all retrieved) crosses ½, per N.
    pub(super) fn alpha_c_series(&self, pts: &[PointRow]) -> Series {
        let label = self.label();
        crossings_per_n(
            pts.iter()
                .filter(|r| r.check == label && r.series == "fail_fraction")
                .map(|r| {
                    let nan = f64::NAN;
                    (
                        r.n,
                        r.alpha.unwrap_or(nan),
                        r.value2.unwrap_or(nan),
                        // P(all retrieved) is one Bernoulli trial per store
                        r.stores.unwrap_or(0) as f64,
                    )
                }),
        )
    }

    pub(super) fn analyse(&self, pts: &[PointRow], out: &mut Tables) -> Result<()> {
        let Tables { fss, summary } = out;
        let label = self.label();
        let ens = self.ensemble.ensemble();
        let th = DamTheory::new(ens)?;
        let lambda = self.lambda.0;
        let bound = th.alpha_c(lambda)?.bound;
        let rows: Vec<&PointRow> = pts
            .iter()
            .filter(|r| r.check == label && r.series == "fail_fraction")
            .collect();
        let mut ns: Vec<usize> = rows.iter().map(|r| r.n).collect();
        ns.sort();
        ns.dedup();
        let key = |quantity, rho| SummaryKey {
            quantity,
            ensemble: self.ensemble.name(),
            lambda: Some(lambda),
            rho,
            series: "simulation",
        };
        // α_c(N): where P(all retrieved) crosses ½
        let ac = self.alpha_c_series(pts);
        for &(n, x, err) in &ac {
            summary.push(summary_row(
                &key("alpha_c", None),
                bound,
                (x, err),
                None,
                (n, n),
                "P(all retrieved) = 1/2; theory is a lower bound",
            ));
        }
        let report = FitReport::new("alpha_c", ac, bound);
        fss.extend(fss_rows(&label, &report));
        summary.extend(fit_summary_rows(
            &key("alpha_c", None),
            &report,
            "theory is a lower bound",
        ));
        // failure rate and failing norms at the largest N, against the norm channel
        let Some(&n_max) = ns.last() else {
            return Ok(());
        };
        for r in rows.iter().filter(|r| r.n == n_max) {
            let alpha = r.alpha.unwrap_or(f64::NAN);
            let (f, fe) = (r.value, r.err);
            let Some(rho_f) = th.failure_norm(lambda, alpha)? else {
                continue;
            };
            let Some(rate) = ens.norm_rate(rho_f) else {
                continue;
            };
            if f > 0.0 && fe > 0.0 {
                summary.push(summary_row(
                    &key("failure_rate", Some(rho_f)),
                    rate,
                    (-f.ln() / n_max as f64, fe / (f * n_max as f64)),
                    None,
                    (n_max, n_max),
                    &format!("-(1/N) ln(failure fraction) at alpha = {}", fmt(alpha)),
                ));
            }
            let (rm, re) = (r.value3.unwrap_or(f64::NAN), r.err3.unwrap_or(f64::NAN));
            if rm.is_finite() && re > 0.0 {
                summary.push(summary_row(
                    &key("failing_norm", Some(rho_f)),
                    rho_f,
                    (rm, re),
                    None,
                    (n_max, n_max),
                    &format!("mean norm of failing patterns at alpha = {}", fmt(alpha)),
                ));
            }
        }
        Ok(())
    }

    /// `failure_<label>`: (1/N) ln(failure fraction) per N, simulated and finite-N REM, with
    /// −I_norm(ρ_f(α)).
    pub(super) fn render_failure(&self, dir: &Path, pts: &[PointRow]) -> Result<Vec<PathBuf>> {
        let label = self.label();
        let ens = self.ensemble.ensemble();
        let th = DamTheory::new(ens)?;
        let mut fig = Figure {
            x_label: "load α".into(),
            y_label: "(1/N) ln(failure fraction)".into(),
            legend: Legend::LowerRight,
            ..Default::default()
        };
        let ns: Vec<usize> = {
            let mut v: Vec<usize> = pts
                .iter()
                .filter(|r| r.check == label)
                .map(|r| r.n)
                .collect();
            v.sort();
            v.dedup();
            v
        };
        for (k, &n) in ns.iter().enumerate() {
            for (series, style, name) in [
                ("fail_fraction", Style::Points, "simulated"),
                ("rem_fail_fraction", Style::Dashed, "finite-N REM"),
            ] {
                let mut p: Vec<(f64, f64, f64)> = pts
                    .iter()
                    .filter(|r| r.check == label && r.series == series && r.n == n)
                    .filter(|r| r.value > 0.0)
                    .map(|r| {
                        let (f, e) = (r.value, r.err);
                        (
                            r.alpha.unwrap_or(f64::NAN),
                            f.ln() / n as f64,
                            e / (f * n as f64),
                        )
                    })
                    .collect();
                p.sort_by(|a, b| a.0.total_cmp(&b.0));
                if style == Style::Dashed {
                    for q in p.iter_mut() {
                        q.2 = 0.0;
                    }
                }
                fig.curves.push(Curve {
                    bars: Vec::new(),
                    label: format!("{name}, N = {n}"),
                    style,
                    color: k,
                    points: p,
                });
            }
        }
        if ens.norm_rate(ens.rho1()).is_some() {
            let (a1, _) = th.alpha_1(self.lambda.0)?;
            let lo = self
                .alpha
                .values()
                .iter()
                .cloned()
                .fold(f64::INFINITY, f64::min);
            let mut curve = Vec::new();
            for i in 0..=60 {
                let a = lo + (a1 - lo) * i as f64 / 60.0;
                if let Some(r) = th.failure_norm(self.lambda.0, a)? {
                    if let Some(rate) = ens.norm_rate(r) {
                        // the rate vanishes at α₁ (ρ_f = ρ₁); keep its rounding off the axis
                        curve.push((a, if rate.abs() < 1e-12 { 0.0 } else { -rate }, 0.0));
                    }
                }
            }
            fig.curves.push(Curve::new(
                "−I_{norm}(ρ_{f}(α)), N → ∞",
                Style::Line,
                6,
                curve,
            ));
        }
        fig.render(&dir.join(format!("failure_{}", crate::study::file_stem(&label))))
    }
}
