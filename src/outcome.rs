//! The one rule for "converged", and the typed outcome every solver reports.
//!
//! A solve is **converged** only when the residual it reached is finite and at most the
//! tolerance asked for: no factor of slack, no "f32 did what it could". Every solver (CPU
//! and GPU; steady, each transient step, airflow, a scenario's steady start, N-1 and time
//! series re-solves) decides through [`converged`] and reports an [`Outcome`]; the CLI maps
//! `NotConverged` to exit 1 and writes nothing.
//!
//! Results are also checked before they leave the library: [`first_non_finite`] finds
//! NaN or Inf in a field, and [`nan_max`] / [`nan_min`] are reductions that propagate a
//! NaN instead of dropping it (as `fold(f64::max)` would).

/// Converged: the residual reached is finite and ≤ `tol`.
pub fn converged(relative_residual: f64, tol: f64) -> bool {
    relative_residual.is_finite() && relative_residual <= tol
}

/// How a solve ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The residual reached is ≤ the tolerance.
    Converged { iterations: usize, relative_residual: f64 },
    /// The iteration limit or a stall ended the solve above the tolerance.
    NotConverged { iterations: usize, relative_residual: f64, tol: f64 },
    /// The solver could not run or broke down (setup, device loss, a non-finite value).
    Failed(String),
}

impl Outcome {
    /// The outcome of a solve that reached `relative_residual` after `iterations`.
    pub fn of(iterations: usize, relative_residual: f64, tol: f64) -> Outcome {
        if converged(relative_residual, tol) {
            Outcome::Converged { iterations, relative_residual }
        } else if relative_residual.is_nan() {
            Outcome::Failed(format!("the residual became NaN after {iterations} iterations"))
        } else {
            Outcome::NotConverged { iterations, relative_residual, tol }
        }
    }
    pub fn is_converged(&self) -> bool {
        matches!(self, Outcome::Converged { .. })
    }
}

/// Index and value of the first NaN or ±Inf in `v`.
pub fn first_non_finite(v: &[f64]) -> Option<(usize, f64)> {
    v.iter().position(|x| !x.is_finite()).map(|i| (i, v[i]))
}

/// The largest value, NaN if any value is NaN; `-inf` for an empty slice.
pub fn nan_max(v: impl IntoIterator<Item = f64>) -> f64 {
    v.into_iter().fold(f64::NEG_INFINITY, |m, x| if m.is_nan() || x.is_nan() { f64::NAN } else { m.max(x) })
}

/// The smallest value, NaN if any value is NaN; `inf` for an empty slice.
pub fn nan_min(v: impl IntoIterator<Item = f64>) -> f64 {
    v.into_iter().fold(f64::INFINITY, |m, x| if m.is_nan() || x.is_nan() { f64::NAN } else { m.min(x) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converged_only_at_or_below_tol_and_finite() {
        assert!(converged(1e-10, 1e-10));
        assert!(converged(0.0, 1e-10));
        assert!(!converged(2e-4, 1e-6));
        assert!(!converged(f64::NAN, 1e-6));
        assert!(!converged(f64::INFINITY, f64::INFINITY));
        assert_eq!(Outcome::of(3, 1e-12, 1e-10), Outcome::Converged { iterations: 3, relative_residual: 1e-12 });
        assert_eq!(
            Outcome::of(200, 2e-4, 1e-6),
            Outcome::NotConverged { iterations: 200, relative_residual: 2e-4, tol: 1e-6 }
        );
        assert!(matches!(Outcome::of(5, f64::NAN, 1e-6), Outcome::Failed(_)));
    }

    #[test]
    fn reductions_keep_nan() {
        assert!(nan_max([1.0, f64::NAN, 3.0]).is_nan());
        assert!(nan_min([1.0, f64::NAN, 3.0]).is_nan());
        assert_eq!(nan_max([1.0, 5.0, 3.0]), 5.0);
        assert_eq!(nan_min([4.0, 2.0]), 2.0);
        assert_eq!(nan_max(std::iter::empty()), f64::NEG_INFINITY);
        assert_eq!(first_non_finite(&[0.0, 1.0, f64::INFINITY]), Some((2, f64::INFINITY)));
        assert_eq!(first_non_finite(&[0.0]), None);
    }
}
