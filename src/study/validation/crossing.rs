//! `[[validation.crossing]]`: α_{1/2}(N) of the simulated retrieval probability from x₀ = ξ¹,
//! with the finite-N REM criterion beside it, against α₁(λ) or, for planted targets, α_f(λ; ρ).

use std::path::{Path, PathBuf};

use crate::dam::batch::Batch;
use crate::dam::fss::{
    crossings_per_n, effective_count, rem_alpha_half, FitReport, FssForm, Series,
};
use crate::dam::params::SimParams;
use crate::dam::summary::simulate_batch;
use crate::dam::DamTheory;
use crate::ensembles::EnsembleKind;
use crate::error::Result;
use crate::plot::{Curve, Figure, Legend, Style};
use crate::stats::fmt_num as fmt;

use super::analysis::{
    fit_summary_rows, fss_rows, same_n_row, series_of, PointRow, SummaryKey, Tables,
};

/// Fewest patterns at a simulated crossing for its N to enter the finite-size analysis.
pub const MIN_PATTERNS: f64 = 20.0;
use super::{
    in_check, linspace, thin, w_theta, CrossingCheck, Job, JobCx, ValidationPoint,
    ValidationSection,
};

/// A crossing check's fits of its simulated series and its largest-N crossing (for the
/// summary figures).
pub struct Extrapolated<'a> {
    pub check: &'a CrossingCheck,
    pub report: FitReport,
    pub last: Option<(usize, f64, f64)>,
}

impl CrossingCheck {
    /// Check label: `alpha_1:<ensemble>:l<λ>` or `alpha_f:<ensemble>:l<λ>:rho<ρ>`.
    pub fn label(&self) -> String {
        match self.target_norm {
            None => format!("alpha_1:{}:l{}", self.ensemble.name(), fmt(self.lambda.0)),
            Some(r) => format!(
                "alpha_f:{}:l{}:rho{}",
                self.ensemble.name(),
                fmt(self.lambda.0),
                fmt(r.0)
            ),
        }
    }

    /// (N, loads) pairs, thinned for `--quick` to the first two N and four loads each.
    fn grid(&self, quick: bool) -> Vec<(usize, Vec<f64>)> {
        let ns = self.n.values();
        let mut out: Vec<(usize, Vec<f64>)> = ns
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let a = match (&self.windows, &self.alpha) {
                    (Some(w), _) => linspace(w[i][0], w[i][1], self.alpha_points.0),
                    (None, Some(a)) => a.values().to_vec(),
                    (None, None) => vec![],
                };
                (n as usize, a)
            })
            .collect();
        if quick {
            out.truncate(2);
            for (_, a) in out.iter_mut() {
                *a = thin(a, 4);
            }
        }
        out
    }

    pub(super) fn rho(&self) -> f64 {
        self.target_norm
            .map_or(self.ensemble.ensemble().rho1(), |r| r.0)
    }

    /// The theory value: α₁(λ) or α_f(λ; ρ).
    pub fn theory(&self) -> Result<f64> {
        let th = DamTheory::new(self.ensemble.ensemble())?;
        Ok(match self.target_norm {
            None => th.alpha_1(self.lambda.0)?.0,
            Some(r) => th.failure_load(self.lambda.0, r.0)?.0,
        })
    }

    /// The batch: independent streams per load (neighbouring loads of a crossing must not
    /// share their random numbers, or the crossing's error would treat correlated points as
    /// independent).
    fn batch(&self) -> Batch {
        Batch {
            streams: crate::dam::params::Streams::Independent,
            ..Batch::shared(self.targets.0, self.target_norm.map(|r| r.0), self.store.0)
        }
    }

    /// The check's points: per N the simulated loads, then the finite-N REM at w = ½ and w_θ.
    pub(super) fn points(
        &self,
        v: &ValidationSection,
        c: usize,
        quick: bool,
        samples: usize,
        rem: usize,
        map: usize,
    ) -> Result<Vec<ValidationPoint>> {
        let theta = w_theta(v.threshold.0, self.ensemble, self.lambda.0, self.rho())?;
        let threads = rayon::current_num_threads();
        let batch = self.batch();
        let mut pts = Vec::new();
        for (n, alphas) in self.grid(quick) {
            for alpha in alphas {
                let p = v.sim_params(n, alpha, self.lambda.0);
                p.validate()
                    .and_then(|_| batch.validate(&p, self.ensemble.name()))
                    .and_then(|_| batch.check(&p, samples, v.memory(), threads))
                    .map_err(|e| in_check(&format!("crossing[{c}]"), n, alpha, e))?;
                let job = Job::Retrieval { check: c, n, alpha };
                // the resolved layout (auto → at-most:K) is part of the resume key
                let b = batch.resolve(samples);
                pts.push(v.point(job, self.label(), Some(b), samples, rem));
            }
            if self.finite_n_rem {
                for w in [0.5, theta] {
                    let job = Job::Rem { check: c, n, w };
                    pts.push(v.point(job, self.label(), Some(batch), samples, rem));
                }
            }
            if self.finite_n_map {
                let job = Job::Map { check: c, n };
                pts.push(v.point(job, self.label(), Some(batch), samples, map));
            }
        }
        Ok(pts)
    }

    fn row(
        &self,
        series: &str,
        n: usize,
        alpha: Option<f64>,
        (value, err): (f64, f64),
        count: usize,
    ) -> PointRow {
        PointRow {
            rho: Some(self.rho()),
            count,
            ..PointRow::new(&self.label(), series, self.ensemble.name(), n, value, err)
                .at(Some(self.lambda.0), alpha)
        }
    }

    /// p_retrieved at (N, α): value = p, err; value2 = design effect; count = targets.
    pub(super) fn retrieval(&self, cx: &JobCx, n: usize, alpha: f64) -> Result<PointRow> {
        let JobCx { v, pt, tick } = *cx;
        let p = v.sim_params(n, alpha, self.lambda.0);
        let s = simulate_batch(
            self.ensemble.sampler(),
            &p,
            &self.batch(),
            pt.count,
            v.memory(),
            tick,
        )?;
        Ok(PointRow {
            value2: Some(s.design_effect),
            stores: Some(s.stores),
            ..self.row(
                "p_retrieved",
                n,
                Some(alpha),
                (s.retrieved.p, s.retrieved.err),
                s.samples,
            )
        })
    }

    /// Finite-N REM α_{1/2} at weight threshold w: value, err; count = draws.
    pub(super) fn rem(&self, cx: &JobCx, n: usize, w: f64) -> Result<PointRow> {
        let JobCx { v, pt, tick } = *cx;
        let amax = self
            .grid(false)
            .iter()
            .flat_map(|g| g.1.iter().cloned())
            .fold(0.0, f64::max)
            .max(self.theory()?)
            * 2.0;
        let (m, err) = rem_alpha_half(
            self.ensemble,
            n,
            self.lambda.0,
            w,
            self.target_norm.map(|r| r.0),
            pt.rem_samples,
            v.seed,
            amax,
        )?;
        for _ in 0..pt.rem_samples {
            tick();
        }
        let series = format!("rem_w={}", fmt((w * 1000.0).round() / 1000.0));
        Ok(self.row(&series, n, None, (m, err), pt.rem_samples))
    }

    /// α½(N) of the finite-N map with the simulator's dynamics: value, err; count = draws;
    /// value2 = the fold expansion at the median target norm (uncondensed phase only).
    pub(super) fn map(&self, cx: &JobCx, n: usize) -> Result<PointRow> {
        let JobCx { v, pt, tick } = *cx;
        let p = v.sim_params(n, 0.1, self.lambda.0);
        let d = crate::dam::fss::MapDynamics::of(&p);
        let mp = crate::dam::fss::MapPoint {
            kind: self.ensemble,
            n,
            lambda: self.lambda.0,
            target_norm: self.target_norm.map(|r| r.0),
            samples: pt.rem_samples,
            seed: v.seed,
            dynamics: d,
            max_patterns: 1 << 34,
        };
        let row = crate::dam::fss::finite_size_row(&mp, tick)?;
        Ok(PointRow {
            value2: row.alpha_half_asymptotic,
            ..self.row(
                "map",
                n,
                None,
                (row.alpha_half, row.alpha_half_err),
                pt.rem_samples,
            )
        })
    }

    /// The check's crossing series: the simulated crossings per N, then every finite-N REM
    /// series (sorted by name), then the finite-N map; and the N left out of every series
    /// because the simulated crossing holds fewer than [`MIN_PATTERNS`] patterns (a step
    /// artefact of P = round(e^{αN}), outside any asymptotic regime).
    fn series(&self, pts: &[PointRow]) -> (Vec<(String, Series)>, Vec<usize>) {
        let label = self.label();
        let sim = crossings_per_n(
            pts.iter()
                .filter(|r| r.check == label && r.series == "p_retrieved")
                .map(|r| {
                    let n_eff = effective_count(r.count as f64, r.value2.unwrap_or(1.0));
                    (r.n, r.alpha.unwrap_or(f64::NAN), r.value, n_eff)
                }),
        );
        let small: Vec<usize> = sim
            .iter()
            .filter(|&&(n, a, _)| (a * n as f64).exp() < MIN_PATTERNS)
            .map(|p| p.0)
            .collect();
        let keep =
            |s: Series| -> Series { s.into_iter().filter(|p| !small.contains(&p.0)).collect() };
        let mut out = vec![("simulation".to_string(), keep(sim))];
        let mut names: Vec<String> = pts
            .iter()
            .filter(|r| r.check == label && r.series.starts_with("rem_w="))
            .map(|r| r.series.clone())
            .collect();
        names.sort();
        names.dedup();
        names.push("map".into());
        for name in names {
            let s = series_of(pts, &label, &name);
            out.push((name, keep(s)));
        }
        (out, small)
    }

    pub(super) fn analyse(&self, pts: &[PointRow], out: &mut Tables) -> Result<()> {
        let Tables { fss, summary } = out;
        let label = self.label();
        let theory = self.theory()?;
        let quantity = if self.target_norm.is_some() {
            "alpha_f"
        } else {
            "alpha_1"
        };
        let (series, small) = self.series(pts);
        let note = if small.is_empty() {
            String::new()
        } else {
            format!("N = {small:?} left out: fewer than {MIN_PATTERNS} patterns at the crossing")
        };
        for (name, s) in &series {
            let report = FitReport::new(name, s.clone(), theory);
            fss.extend(fss_rows(&label, &report));
            let key = SummaryKey {
                quantity,
                ensemble: self.ensemble.name(),
                lambda: Some(self.lambda.0),
                rho: Some(self.rho()),
                series: name,
            };
            summary.extend(fit_summary_rows(&key, &report, &note));
        }
        // per N: the simulated crossing against the finite-N map at the same N
        let map = &series.iter().find(|s| s.0 == "map").expect("map series").1;
        let key = SummaryKey {
            quantity,
            ensemble: self.ensemble.name(),
            lambda: Some(self.lambda.0),
            rho: Some(self.rho()),
            series: "simulation_vs_map",
        };
        for &(n, a, e) in &series[0].1 {
            if let Some(&(_, m, me)) = map.iter().find(|p| p.0 == n) {
                summary.push(same_n_row(
                    &key,
                    n,
                    (m, me),
                    (a, e),
                    "finite-N map at the same N",
                ));
            }
        }
        Ok(())
    }

    /// The check's α_{1/2}(N) figure; returns its files and its extrapolations.
    pub(super) fn render(
        &self,
        dir: &Path,
        pts: &[PointRow],
    ) -> Result<(Vec<PathBuf>, Extrapolated<'_>)> {
        let label = self.label();
        let theory = self.theory()?;
        let (series, _) = self.series(pts);
        let report = FitReport::new("simulation", series[0].1.clone(), theory);
        let ex = Extrapolated {
            check: self,
            last: series[0].1.last().copied(),
            report,
        };
        // simulation, the static finite-N REM at w = ½, the finite-N map
        let labelled: Vec<crate::study::fss_figure::CrossingSeries> = series
            .iter()
            .filter(|s| {
                !s.1.is_empty() && (s.0 == "simulation" || s.0 == "rem_w=0.5" || s.0 == "map")
            })
            .map(|(name, s)| {
                let l = match name.as_str() {
                    "simulation" => "simulated".to_string(),
                    "map" => "finite-N map (theory)".to_string(),
                    n => format!(
                        "static finite-N REM, w = {}",
                        n.trim_start_matches("rem_w=")
                    ),
                };
                (l, s.clone())
            })
            .collect();
        if labelled.is_empty() {
            return Ok((vec![], ex));
        }
        let stem = crate::study::file_stem(&label);
        let fold: Vec<_> = ex
            .report
            .extrapolations()
            .into_iter()
            .filter(|f| f.form == FssForm::Fold)
            .collect();
        let mut fig = crate::study::fss_figure::fss_figure(&labelled, &fold, theory);
        // the fold expansion α_f(ρ_med(N)) − [1 + ln(N c)]/N, uncondensed phase only
        let n_min = series[0].1.iter().map(|p| p.0).min().unwrap_or(20).max(2);
        let asym: Vec<(f64, f64, f64)> = (0..=60)
            .filter_map(|i| {
                let n = n_min as f64 * (1e6f64 / n_min as f64).powf(i as f64 / 60.0);
                let rho = crate::dam::fss::median_target_norm(
                    self.ensemble,
                    n as usize,
                    self.target_norm.map(|r| r.0),
                );
                crate::dam::fss::fold_expansion(self.ensemble.ensemble(), self.lambda.0, rho)
                    .ok()
                    .map(|f| (1.0 / n.sqrt(), f.alpha_half(n), 0.0))
            })
            .collect();
        if !asym.is_empty() {
            fig.curves.push(Curve::new(
                "fold expansion α_{f} − [1 + ln(Nc)]/N (theory)",
                Style::Line,
                3,
                asym,
            ));
        }
        if self.target_norm.is_some() {
            if let Some(first) = fig.curves.first_mut() {
                first.label = format!("α_{{f}}(λ; ρ) = {theory:.4}");
            }
        }
        Ok((fig.render(&dir.join(stem))?, ex))
    }
}

/// `thresholds_<ensemble>`: α₁(λ) and the α_c bound with the extrapolated crossings, the
/// largest-N crossings and the all-pattern α_c(N).
pub(super) fn render_thresholds(
    v: &ValidationSection,
    dir: &Path,
    ex: &[Extrapolated],
    pts: &[PointRow],
) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut kinds: Vec<EnsembleKind> = ex
        .iter()
        .filter(|e| e.check.target_norm.is_none())
        .map(|e| e.check.ensemble)
        .collect();
    kinds.sort_by_key(|k| k.name());
    kinds.dedup();
    for kind in kinds {
        let th = DamTheory::new(kind.ensemble())?;
        let mine: Vec<_> = ex
            .iter()
            .filter(|e| e.check.target_norm.is_none() && e.check.ensemble == kind)
            .collect();
        let lmax = mine.iter().map(|e| e.check.lambda.0).fold(0.0, f64::max) * 1.4;
        let grid: Vec<f64> = (1..=80).map(|i| lmax * i as f64 / 80.0).collect();
        let mut a1 = Vec::new();
        let mut acb = Vec::new();
        for &l in &grid {
            a1.push((l, th.alpha_1(l)?.0, 0.0));
            acb.push((l, th.alpha_c(l)?.bound, 0.0));
        }
        let mut fig = Figure {
            x_label: "inverse temperature λ".into(),
            y_label: "load α".into(),
            legend: Legend::UpperLeft,
            ..Default::default()
        };
        // for fixed-norm ensembles the α_c bound is α₁ itself: one curve, said in its label;
        // where no α_c is computed (i.i.d. continuous, hidden manifold), α₁ alone
        acb.retain(|c: &(f64, f64, f64)| c.1.is_finite());
        let same = !acb.is_empty()
            && acb
                .iter()
                .zip(&a1)
                .all(|(c, a)| (c.1 - a.1).abs() <= 1e-9 * a.1.abs().max(1e-12));
        fig.curves.push(Curve::new(
            if same {
                "α_{1}(λ) = α_{c}(λ) bound, theory"
            } else {
                "α_{1}(λ), theory"
            },
            Style::Line,
            6,
            a1,
        ));
        if !same && !acb.is_empty() {
            fig.curves
                .push(Curve::new("α_{c}(λ) lower bound", Style::Dashed, 6, acb));
        }
        fig.subtitle = format!("{} patterns; markers at λ ± 2% for legibility", kind.name());
        let pick = |form: FssForm| -> Vec<(f64, f64, f64)> {
            mine.iter()
                .filter_map(|e| e.report.fit(form).map(|f| (e.check.lambda.0, f.a, f.a_err)))
                .collect()
        };
        for (k, (form, name)) in [(FssForm::Fold, "extrapolated, a − lnN/N + b/N (derived)")]
            .into_iter()
            .enumerate()
        {
            let p = pick(form);
            if !p.is_empty() {
                fig.curves.push(Curve {
                    bars: Vec::new(),
                    label: name.into(),
                    style: Style::Points,
                    color: 1 + k,
                    points: p
                        .iter()
                        .map(|&(l, a, e)| (l * (1.0 + 0.02 * k as f64), a, e))
                        .collect(),
                });
            }
        }
        let raw: Vec<(f64, f64, f64)> = mine
            .iter()
            .filter_map(|e| e.last.map(|(_, a, err)| (e.check.lambda.0 * 0.98, a, err)))
            .collect();
        fig.curves.push(Curve::new(
            "α_{1/2} at the largest N",
            Style::Points,
            4,
            raw,
        ));
        let acs: Vec<(f64, f64, f64)> = v
            .all_patterns
            .iter()
            .filter(|c| c.ensemble == kind)
            .filter_map(|c| {
                c.alpha_c_series(pts)
                    .last()
                    .map(|&(_, a, e)| (c.lambda.0, a, e))
            })
            .collect();
        if !acs.is_empty() {
            fig.curves.push(Curve::new(
                "α_{c}(N), all patterns, largest N",
                Style::Points,
                5,
                acs,
            ));
        }
        out.extend(fig.render(&dir.join(format!(
            "thresholds_{}",
            crate::study::file_stem(kind.name())
        )))?);
    }
    Ok(out)
}

/// `alpha_f_vs_rho`: channel (a), the planted crossings against α_f(λ; ρ).
pub(super) fn render_channel_a(dir: &Path, ex: &[Extrapolated]) -> Result<Vec<PathBuf>> {
    let planted: Vec<_> = ex
        .iter()
        .filter(|e| e.check.target_norm.is_some())
        .collect();
    let Some(first) = planted.first() else {
        return Ok(vec![]);
    };
    let (kind, lambda) = (first.check.ensemble, first.check.lambda.0);
    let mine: Vec<_> = ex
        .iter()
        .filter(|e| e.check.ensemble == kind && e.check.lambda.0 == lambda)
        .collect();
    let th = DamTheory::new(kind.ensemble())?;
    let rhos: Vec<f64> = mine.iter().map(|e| e.check.rho()).collect();
    let (lo, hi) = (
        rhos.iter().cloned().fold(f64::INFINITY, f64::min) * 0.8,
        rhos.iter().cloned().fold(0.0, f64::max) * 1.2,
    );
    let mut curve = Vec::new();
    for i in 0..=80 {
        let r = lo + (hi - lo) * i as f64 / 80.0;
        curve.push((r, th.failure_load(lambda, r)?.0, 0.0));
    }
    let mut fig = Figure {
        x_label: "planted squared norm ρ = ‖ξ‖^{2}/N".into(),
        y_label: "load α".into(),
        legend: Legend::UpperLeft,
        ..Default::default()
    };
    fig.curves.push(Curve::new(
        format!("α_{{f}}(λ; ρ), theory, λ = {}", fmt(lambda)),
        Style::Line,
        6,
        curve,
    ));
    fig.subtitle = format!(
        "{} patterns, λ = {}; markers at ρ ± 1% for legibility",
        first.check.ensemble.name(),
        fmt(lambda)
    );
    for (k, (form, name)) in [(FssForm::Fold, "extrapolated, a − lnN/N + b/N (derived)")]
        .into_iter()
        .enumerate()
    {
        let p: Vec<(f64, f64, f64)> = mine
            .iter()
            .filter_map(|e| {
                e.report
                    .fit(form)
                    .map(|f| (e.check.rho() * (1.0 + 0.01 * k as f64), f.a, f.a_err))
            })
            .collect();
        fig.curves.push(Curve::new(name, Style::Points, 1 + k, p));
    }
    fig.curves.push(Curve {
        bars: Vec::new(),
        label: "α_{1/2} at the largest N".into(),
        style: Style::Points,
        color: 4,
        points: mine
            .iter()
            .filter_map(|e| e.last.map(|(_, a, err)| (e.check.rho() * 0.99, a, err)))
            .collect(),
    });
    fig.render(&dir.join("alpha_f_vs_rho"))
}

impl ValidationSection {
    pub(super) fn sim_params(&self, n: usize, alpha: f64, lambda: f64) -> SimParams {
        SimParams {
            threshold: self.threshold.0,
            ..SimParams::protocol(n, alpha, lambda, self.seed)
        }
    }
}
