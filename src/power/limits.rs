//! Memory bounds of the power commands, checked before every large allocation.
//!
//! The bound is [`crate::memory::available_bytes`], as for facility grids (the memory
//! available now, less where an address-space limit or a cgroup holds the process): a request
//! whose estimate exceeds it is refused as bad input naming the size and the fix, before
//! any work, instead of allocating until the process aborts. The estimates:
//!
//! - time series: `steps × branches × 8` bytes (the f32 flow matrix and its assembly
//!   from blocks) plus 96 bytes per step (the per-step series); on the GPU also
//!   `4 × varying buses × (steps + branches) + 8 × varying × branches` (the GEMM operands
//!   and the PTDF columns);
//! - N-1 `--full`: `outages × branches × 16` bytes (f64 rows and their concatenation);
//! - the dense LODF of the GPU screening: `outages × branches × 12` bytes (f64 rows and
//!   their f32 upload), plus `× 20` more with `--full` (GPU flows read back, f64 rows and
//!   their concatenation).

use crate::error::InputError;

/// Memory the power commands may use, bytes ([`crate::memory::available_bytes`]).
pub fn available_memory_bytes() -> u64 {
    crate::memory::available_bytes()
}

/// Bytes as GiB.
pub fn gib(bytes: u128) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// Does `need` bytes fit in the available memory?
pub fn fits(need: u128) -> bool {
    need <= available_memory_bytes() as u128
}

/// `Ok` when `need` bytes fit; else an input error: `what` needs about X GiB, more than
/// the Y GiB available.
pub fn check(file: &str, item: &str, what: &str, need: u128, fix: &str) -> Result<(), InputError> {
    let avail = available_memory_bytes();
    if need <= avail as u128 {
        return Ok(());
    }
    Err(InputError::new(
        file,
        item,
        format!(
            "{what} needs about {:.1} GiB, more than the {:.1} GiB of memory available",
            gib(need),
            gib(avail as u128)
        ),
        fix,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_cannot_fit() {
        assert!(check("f", "steps", "x", 1024, "fewer").is_ok());
        let e = check("f.toml", "steps", "1e12 steps", 1u128 << 80, "use fewer steps").unwrap_err();
        let s = e.to_string();
        assert!(s.contains("GiB") && s.contains("f.toml") && s.contains("use fewer steps"), "{s}");
    }
}
