//! Bounded (TVD) face values: the upwind value plus a limited share of the jump to the
//! downwind one, `φ_f = φ_U + ½ ψ(r) (φ_D − φ_U)`, `r = (φ_U − φ_UU)/(φ_D − φ_U)`, with
//! van Leer's limiter `ψ(r) = (r + |r|)/(1 + |r|)` (second order where smooth, upwind at
//! extrema, never a new extremum). Solvers take the upwind part implicitly and this
//! correction from the previous iterate (deferred correction), so at convergence the
//! answer is the bounded scheme's.

/// Van Leer's limiter.
#[inline]
pub fn van_leer(r: f64) -> f64 {
    if r <= 0.0 {
        0.0
    } else {
        2.0 * r / (1.0 + r)
    }
}

/// The bounded face value minus the upwind one, given the far-upwind, upwind and
/// downwind values: `½ ψ(r) (φ_D − φ_U)` with van Leer's ψ, which is the harmonic form
/// `d₁ d₂ / (d₁ + d₂)` of the two differences `d₁ = φ_U − φ_UU`, `d₂ = φ_D − φ_U` where
/// they have the same sign (`r > 0`) and zero elsewhere: one division instead of two.
#[inline]
pub fn correction(far: f64, up: f64, down: f64) -> f64 {
    let (d1, d2) = (up - far, down - up);
    let prod = d1 * d2;
    if prod > 0.0 {
        prod / (d1 + d2)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The harmonic form equals `½ ψ(r) (φ_D − φ_U)` written with the limiter.
    #[test]
    fn harmonic_form_is_van_leer() {
        for (far, up, down) in [(0.0, 1.0, 1.1), (0.9, 1.0, 5.0), (-3.0, 1.0, 1.5), (5.0, 2.0, -1.0), (1.0, 2.0, 1.5)] {
            let jump: f64 = down - up;
            let by_limiter = 0.5 * van_leer((up - far) / jump) * jump;
            assert!((correction(far, up, down) - by_limiter).abs() < 1e-14, "{far} {up} {down}");
        }
        assert_eq!(correction(1.0, 2.0, 2.0), 0.0);
    }

    #[test]
    fn linear_profiles_are_exact_and_extrema_upwind() {
        // On a straight line the face value is the midpoint.
        assert!((correction(0.0, 1.0, 2.0) - 0.5).abs() < 1e-15);
        // At an extremum (r < 0) the scheme is upwind.
        assert_eq!(correction(2.0, 1.0, 2.0), 0.0);
        // Bounded: the face value stays between upwind and downwind.
        for (far, up, down) in [(0.0, 1.0, 1.1), (0.9, 1.0, 5.0), (-3.0, 1.0, 1.5)] {
            let f = up + correction(far, up, down);
            assert!(f >= up.min(down) - 1e-15 && f <= up.max(down) + 1e-15, "{far} {up} {down} → {f}");
        }
    }
}
