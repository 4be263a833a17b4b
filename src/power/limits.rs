//! Memory bounds of the power commands, checked before every large allocation.
//!
//! The bound is the memory the machine has available now (`MemAvailable` in
//! /proc/meminfo; 16 GiB where that cannot be read), capped at three quarters of the
//! process's address-space limit when one is set, as for facility grids: a request
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

/// Memory the power commands may use, bytes: the machine's available memory, and no
/// more than three quarters of the process's address-space limit where one is set
/// (`ulimit -v`: the rest is the program, its libraries and thread stacks).
pub fn available_memory_bytes() -> u64 {
    let avail = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        })
        .map(|kb| kb.saturating_mul(1024))
        .unwrap_or(16 << 30);
    match address_space_limit() {
        Some(lim) => avail.min(lim / 4 * 3),
        None => avail,
    }
}

/// The soft address-space limit of this process (`Max address space` in
/// /proc/self/limits), if there is one.
fn address_space_limit() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = s.lines().find(|l| l.starts_with("Max address space"))?;
    line["Max address space".len()..].split_whitespace().next()?.parse::<u64>().ok()
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
