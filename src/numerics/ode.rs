//! Classical fourth-order Runge–Kutta with preallocated stage buffers (no allocation per step).

/// RK4 stepper for y' = f(y) on a flat state of fixed length.
#[derive(Debug, Clone)]
pub struct Rk4 {
    k1: Vec<f64>,
    k2: Vec<f64>,
    k3: Vec<f64>,
    k4: Vec<f64>,
    tmp: Vec<f64>,
}

impl Rk4 {
    /// Buffers for a state of length `n`.
    pub fn new(n: usize) -> Self {
        Rk4 {
            k1: vec![0.0; n],
            k2: vec![0.0; n],
            k3: vec![0.0; n],
            k4: vec![0.0; n],
            tmp: vec![0.0; n],
        }
    }

    /// One step y ← y + dt/6 (k1 + 2k2 + 2k3 + k4); `f(y, out)` writes y' into `out`.
    /// Domain: y.len() equals the length given to [`Rk4::new`].
    pub fn step(&mut self, y: &mut [f64], dt: f64, mut f: impl FnMut(&[f64], &mut [f64])) {
        let Rk4 {
            k1,
            k2,
            k3,
            k4,
            tmp,
        } = self;
        f(y, k1);
        for ((t, &a), &k) in tmp.iter_mut().zip(y.iter()).zip(k1.iter()) {
            *t = a + 0.5 * dt * k;
        }
        f(tmp, k2);
        for ((t, &a), &k) in tmp.iter_mut().zip(y.iter()).zip(k2.iter()) {
            *t = a + 0.5 * dt * k;
        }
        f(tmp, k3);
        for ((t, &a), &k) in tmp.iter_mut().zip(y.iter()).zip(k3.iter()) {
            *t = a + dt * k;
        }
        f(tmp, k4);
        for (i, a) in y.iter_mut().enumerate() {
            *a += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Harmonic oscillator x'' = −x from (1, 0) to t = 2π: global error O(dt⁴) against the
    /// closed form (cos t, −sin t); halving dt divides it by ≈ 16.
    #[test]
    fn fourth_order_against_closed_form() {
        let err = |steps: usize| {
            let dt = 2.0 * std::f64::consts::PI / steps as f64;
            let mut y = [1.0, 0.0];
            let mut rk = Rk4::new(2);
            for _ in 0..steps {
                rk.step(&mut y, dt, |y, out| {
                    out[0] = y[1];
                    out[1] = -y[0];
                });
            }
            ((y[0] - 1.0).powi(2) + y[1].powi(2)).sqrt()
        };
        let (e1, e2) = (err(100), err(200));
        assert!(e1 < 1e-5, "{e1}");
        let ratio = e1 / e2;
        assert!(ratio > 14.0 && ratio < 18.0, "{ratio}");
    }
}
