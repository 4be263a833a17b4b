//! Checks of the options a caller passes (the command line's flags, the Python
//! package's keyword arguments): never silently replaced, bad values are input errors
//! naming the option.

use crate::error::InputError;

fn bad(flag: &str, msg: String, fix: &str) -> InputError {
    InputError::new("command line", flag, msg, fix)
}

/// A relative tolerance: finite, in [1e-14, 1) (f64 residuals bottom out near 1e-15,
/// so a smaller one could never be met).
pub fn tol(flag: &str, v: f64) -> Result<f64, InputError> {
    if v.is_finite() && (1e-14..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(bad(
            flag,
            format!("{v:e} is not a tolerance this solver can meet"),
            "give a relative residual from 1e-14 up to (not including) 1, e.g. 1e-10",
        ))
    }
}

/// A time step, s: finite, > 0.
pub fn dt(flag: &str, v: f64) -> Result<f64, InputError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(bad(flag, format!("{v} is not a time step"), "give a time step in seconds, finite and > 0"))
    }
}

/// A count that must be at least 1, and at most `max`.
pub fn count(flag: &str, v: usize, max: usize) -> Result<usize, InputError> {
    if v == 0 {
        Err(bad(flag, "must be at least 1".into(), "give a positive whole number"))
    } else if v > max {
        Err(bad(flag, format!("{v} is more than this command allows ({max})"), "give a smaller number"))
    } else {
        Ok(v)
    }
}

/// A contingency threshold, % of RATE_A: finite, > 0.
pub fn threshold_pct(flag: &str, v: f64) -> Result<f64, InputError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(bad(flag, format!("{v} is not a loading"), "give a loading in %, finite and > 0, e.g. 100"))
    }
}

/// A backend by name: `cpu`, `gpu` or `auto`.
pub fn backend(flag: &str, v: &str) -> Result<crate::backend::Backend, InputError> {
    use crate::backend::Backend;
    match v {
        "cpu" => Ok(Backend::Cpu),
        "gpu" => Ok(Backend::Gpu),
        "auto" => Ok(Backend::Auto),
        _ => Err(bad(flag, format!("{v:?} is not a backend"), "give \"cpu\", \"gpu\" or \"auto\"")),
    }
}
