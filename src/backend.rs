//! Which hardware solves, and the one fallback policy every solver follows.
//!
//! - `cpu`: the f64 CPU path.
//! - `gpu`: any adapter (a software one such as lavapipe included); a GPU failure is the
//!   answer, never silently replaced.
//! - `auto`: a hardware GPU when there is one, else the CPU; if the GPU path fails (setup,
//!   device loss, or an f32 solve that does not reach the tolerance) the CPU solves, with
//!   a warning on stderr.
//!
//! Every solver (steady thermal, transient, airflow, N-1, time series) calls [`run_on`],
//! so the policy lives here only.

use crate::gpu::{AdapterChoice, GpuContext, GpuError};

/// Which hardware solves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Cpu,
    Gpu,
    /// A hardware GPU when present, else the CPU.
    Auto,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
            Backend::Auto => "auto",
        }
    }
}

/// The GPU context a backend asks for: none for `cpu`; any adapter for `gpu` (an error
/// if there is none); a hardware GPU for `auto`, if there is one.
pub fn gpu_for(backend: Backend) -> Result<Option<GpuContext>, GpuError> {
    match backend {
        Backend::Cpu => Ok(None),
        Backend::Gpu => GpuContext::new(AdapterChoice::Any).map(Some),
        Backend::Auto => Ok(GpuContext::new(AdapterChoice::Hardware).ok()),
    }
}

/// Run `gpu` on `ctx` when there is one, else `cpu`. Under `auto`, a GPU error for which
/// `gpu_failed` holds falls back to `cpu` with a warning naming `what`; under `gpu` it is
/// returned. Errors that are not GPU failures (bad input, say) are returned on every backend.
pub fn run_on<T, E: std::fmt::Display>(
    backend: Backend,
    ctx: Option<&GpuContext>,
    what: &str,
    gpu: impl FnOnce(&GpuContext) -> Result<T, E>,
    cpu: impl FnOnce() -> Result<T, E>,
    gpu_failed: impl Fn(&E) -> bool,
) -> Result<T, E> {
    match ctx {
        None => cpu(),
        Some(ctx) => match gpu(ctx) {
            Err(e) if backend == Backend::Auto && gpu_failed(&e) => {
                eprintln!("warning: the GPU {what} failed ({e}); solving on the CPU");
                cpu()
            }
            other => other,
        },
    }
}
