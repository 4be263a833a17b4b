//! Anderson acceleration of a fixed point `e = G(e)`.
//!
//! The airflow model's outer loop is such a fixed point: `e` holds every rack's exhaust
//! and every cooling unit's supply temperature, and `G` solves the advected heat with
//! them and reads the new ones off the intakes and returns. Plain iteration contracts
//! by the recirculation fraction per step (≈ 0.4 on the big hall); Anderson mixing of
//! the last `m` steps (type II, Walker & Ni 2011) converges in far fewer steps:
//!
//! ```text
//!   f_k = G(e_k) − e_k,   γ = argmin ‖f_k − ΔF γ‖₂,   e_{k+1} = G(e_k) − ΔG γ
//! ```
//!
//! with `ΔF`, `ΔG` the differences of the last `m` residuals and images. The small
//! least-squares problem is solved by modified Gram–Schmidt QR; columns that are
//! (numerically) dependent on earlier ones are dropped.

/// History of the last `m` iterates.
pub struct Anderson {
    m: usize,
    prev: Option<(Vec<f64>, Vec<f64>)>,
    df: Vec<Vec<f64>>,
    dg: Vec<Vec<f64>>,
}

impl Anderson {
    pub fn new(m: usize) -> Self {
        Anderson { m, prev: None, df: Vec::new(), dg: Vec::new() }
    }

    /// Forget the history (after a change that makes old steps misleading).
    pub fn reset(&mut self) {
        self.prev = None;
        self.df.clear();
        self.dg.clear();
    }

    /// The next iterate from `e` and its image `g = G(e)`.
    pub fn next(&mut self, e: &[f64], g: &[f64]) -> Vec<f64> {
        let f: Vec<f64> = g.iter().zip(e).map(|(g, e)| g - e).collect();
        if let Some((f_prev, g_prev)) = self.prev.take() {
            self.df.push(f.iter().zip(&f_prev).map(|(a, b)| a - b).collect());
            self.dg.push(g.iter().zip(&g_prev).map(|(a, b)| a - b).collect());
            if self.df.len() > self.m {
                self.df.remove(0);
                self.dg.remove(0);
            }
        }
        self.prev = Some((f.clone(), g.to_vec()));
        let gamma = least_squares(&self.df, &f);
        let mut out = g.to_vec();
        for (gam, dg) in gamma.iter().zip(&self.dg) {
            if *gam != 0.0 {
                out.iter_mut().zip(dg).for_each(|(o, d)| *o -= gam * d);
            }
        }
        out
    }
}

/// `argmin_γ ‖f − Σ γ_j cols_j‖₂` by modified Gram–Schmidt; dependent columns get γ = 0.
fn least_squares(cols: &[Vec<f64>], f: &[f64]) -> Vec<f64> {
    let m = cols.len();
    let mut q: Vec<Vec<f64>> = Vec::with_capacity(m);
    let mut r = vec![vec![0.0; m]; m];
    let mut kept = vec![false; m];
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    for j in 0..m {
        let mut v = cols[j].clone();
        let norm0 = dot(&v, &v).sqrt();
        for (i, qi) in q.iter().enumerate() {
            if qi.is_empty() {
                continue;
            }
            let rij = dot(qi, &v);
            r[i][j] = rij;
            v.iter_mut().zip(qi).for_each(|(a, b)| *a -= rij * b);
        }
        let nv = dot(&v, &v).sqrt();
        if nv > 1e-10 * norm0 && nv > 0.0 {
            r[j][j] = nv;
            v.iter_mut().for_each(|a| *a /= nv);
            kept[j] = true;
            q.push(v);
        } else {
            q.push(Vec::new());
        }
    }
    // R γ = Qᵀ f over the kept columns (back substitution).
    let qtf: Vec<f64> = q.iter().map(|qi| if qi.is_empty() { 0.0 } else { dot(qi, f) }).collect();
    let mut gamma = vec![0.0; m];
    for j in (0..m).rev() {
        if !kept[j] {
            continue;
        }
        let s: f64 = (j + 1..m).filter(|&l| kept[l]).map(|l| r[j][l] * gamma[l]).sum();
        gamma[j] = (qtf[j] - s) / r[j][j];
    }
    gamma
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A linear contraction `G(e) = M e + c` with spectral radius 0.9: plain iteration
    /// needs ~200 steps to 1e-9; Anderson(5) reaches the exact fixed point far sooner.
    #[test]
    fn anderson_solves_a_slow_linear_fixed_point() {
        let n = 12;
        let m: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| if i == j { 0.9 - 0.05 * (i % 3) as f64 } else { 0.004 * ((i + 2 * j) % 5) as f64 })
                    .collect()
            })
            .collect();
        let c: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
        let g =
            |e: &[f64]| -> Vec<f64> { (0..n).map(|i| c[i] + (0..n).map(|j| m[i][j] * e[j]).sum::<f64>()).collect() };
        let mut e = vec![0.0; n];
        let mut acc = Anderson::new(5);
        let mut steps = 0;
        loop {
            let ge = g(&e);
            let res = ge.iter().zip(&e).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            if res < 1e-9 {
                break;
            }
            e = acc.next(&e, &ge);
            steps += 1;
            assert!(steps < 60, "Anderson did not converge: residual {res:e}");
        }
        // The fixed point solves (I − M) e = c.
        let ge = g(&e);
        for i in 0..n {
            assert!((ge[i] - e[i]).abs() < 1e-9);
        }
        // Plain iteration from the same start.
        let (mut e, mut plain) = (vec![0.0; n], 0);
        while g(&e).iter().zip(&e).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) >= 1e-9 {
            e = g(&e);
            plain += 1;
        }
        assert!(steps * 5 <= plain, "Anderson {steps} steps, plain iteration {plain}");
    }
}
