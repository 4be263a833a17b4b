//! One wgpu context: adapter choice, a device with the adapter's own limits, errors
//! turned into values (wgpu's default handler panics), buffers, readback, and a
//! pipeline cache.
//!
//! Adapter choice: `THERMOGRID_ADAPTER=<substring>` picks by name; otherwise
//! [`AdapterChoice::Hardware`] takes a discrete or integrated GPU and never a software
//! adapter (lavapipe), and [`AdapterChoice::Any`] takes the best available, software
//! included (tests in CI run on lavapipe).

pub mod kernels;
pub mod record;

pub use kernels::kernel;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// Files in `shaders/shared/` that kernels import with a `// import: shared/<file>` line.
pub const SHARED_WGSL: [(&str, &str); 6] = [
    ("shared/level.wgsl", include_str!("../../shaders/shared/level.wgsl")),
    ("shared/transfer.wgsl", include_str!("../../shaders/shared/transfer.wgsl")),
    ("shared/vec.wgsl", include_str!("../../shaders/shared/vec.wgsl")),
    ("shared/n1.wgsl", include_str!("../../shaders/shared/n1.wgsl")),
    ("shared/cfd.wgsl", include_str!("../../shaders/shared/cfd.wgsl")),
    ("shared/reduce.wgsl", include_str!("../../shaders/shared/reduce.wgsl")),
];

/// A kernel's source with its `// import: shared/<file>` lines replaced by the shared
/// files (`lookup` finds them: [`SHARED_WGSL`] at run time, the files on disk in tests).
pub fn compose_wgsl(src: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(src.len() + 1024);
    for line in src.lines() {
        match line.trim().strip_prefix("// import:") {
            Some(name) => {
                let name = name.trim();
                out.push_str(&lookup(name).ok_or_else(|| format!("unknown shader import `{name}`"))?);
                out.push('\n');
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// [`compose_wgsl`] with the embedded shared files.
pub fn compose_embedded(src: &str) -> Result<String, String> {
    compose_wgsl(src, |n| SHARED_WGSL.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string()))
}

/// Errors of the GPU path.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GpuError {
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),
    #[error("requesting a device from {adapter} failed: {message}")]
    RequestDevice { adapter: String, message: String },
    #[error("GPU validation error: {0}")]
    Validation(String),
    #[error("the GPU device was lost: {0}")]
    DeviceLost(String),
    #[error("{what} needs {bytes} bytes in one storage binding, more than this adapter's limit of {limit} bytes (max_storage_buffer_binding_size)")]
    TooLarge { what: String, bytes: u64, limit: u64 },
    #[error("reading back a GPU buffer failed: {0}")]
    Readback(String),
}

/// Which adapters may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdapterChoice {
    /// Discrete or integrated GPUs only (the `auto` backend for real work).
    Hardware,
    /// Anything, software adapters included (`--backend gpu`, tests on lavapipe).
    Any,
}

/// What an adapter is, with the limits that matter here.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub is_hardware: bool,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroup_storage_size: u32,
}

fn instance() -> wgpu::Instance {
    // Mesa's Vulkan drivers complain on stderr when XDG_RUNTIME_DIR is unset.
    static ENV: std::sync::Once = std::sync::Once::new();
    ENV.call_once(|| {
        if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
            std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
        }
    });
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends();
    wgpu::Instance::new(desc)
}

/// The wgpu backends to look on: `WGPU_BACKEND` (wgpu's own variable, e.g. `vulkan`,
/// `metal`, `dx12`) when set, else the primary ones (Vulkan, Metal, DX12); each is
/// compiled in where it exists (Cargo.toml: Metal on macOS, DX12 on Windows).
pub fn backends() -> wgpu::Backends {
    wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY)
}

/// What to do when no adapter is found, for this platform.
pub fn no_adapter_advice() -> &'static str {
    if cfg!(target_os = "linux") {
        "wgpu sees no adapter (install your GPU's Vulkan driver, or mesa-vulkan-drivers for the lavapipe software adapter)"
    } else if cfg!(target_os = "macos") {
        "wgpu sees no Metal adapter (check WGPU_BACKEND, which must include metal if set)"
    } else if cfg!(windows) {
        "wgpu sees no DX12 or Vulkan adapter (install your GPU vendor's driver; check WGPU_BACKEND if set)"
    } else {
        "wgpu sees no adapter on this platform"
    }
}

fn is_hardware(t: wgpu::DeviceType) -> bool {
    matches!(t, wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu)
}

fn summarize(a: &wgpu::Adapter) -> AdapterSummary {
    let i = a.get_info();
    let l = a.limits();
    AdapterSummary {
        name: i.name.clone(),
        backend: format!("{:?}", i.backend),
        device_type: format!("{:?}", i.device_type),
        is_hardware: is_hardware(i.device_type),
        max_storage_buffer_binding_size: l.max_storage_buffer_binding_size as u64,
        max_buffer_size: l.max_buffer_size,
        max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
        max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
        max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
    }
}

/// Every adapter wgpu sees.
pub fn list_adapters() -> Vec<AdapterSummary> {
    pollster::block_on(instance().enumerate_adapters(backends())).iter().map(summarize).collect()
}

/// A device and its queue, with error capture.
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    pub limits: wgpu::Limits,
    errors: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
    lost_flag: Arc<AtomicBool>,
    pipelines: Mutex<HashMap<String, Arc<wgpu::ComputePipeline>>>,
}

impl GpuContext {
    /// Open a device on the best adapter allowed by `choice` (and `THERMOGRID_ADAPTER`).
    pub fn new(choice: AdapterChoice) -> Result<Self, GpuError> {
        let inst = instance();
        let adapters = pollster::block_on(inst.enumerate_adapters(backends()));
        let wanted = std::env::var("THERMOGRID_ADAPTER").ok().map(|s| s.to_lowercase());
        let seen: Vec<String> =
            adapters.iter().map(|a| format!("{} ({:?})", a.get_info().name, a.get_info().device_type)).collect();
        let rank = |a: &wgpu::Adapter| match a.get_info().device_type {
            wgpu::DeviceType::DiscreteGpu => 0,
            wgpu::DeviceType::IntegratedGpu => 1,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Cpu => 3,
            wgpu::DeviceType::Other => 4,
        };
        let mut candidates: Vec<wgpu::Adapter> = adapters
            .into_iter()
            .filter(|a| match &wanted {
                Some(w) => a.get_info().name.to_lowercase().contains(w.as_str()),
                None => choice == AdapterChoice::Any || is_hardware(a.get_info().device_type),
            })
            .collect();
        candidates.sort_by_key(rank);
        let Some(adapter) = candidates.into_iter().next() else {
            let what = match (&wanted, choice) {
                (Some(w), _) => format!("none matches THERMOGRID_ADAPTER={w}"),
                (None, AdapterChoice::Hardware) => "no hardware (discrete or integrated) GPU".into(),
                (None, AdapterChoice::Any) => no_adapter_advice().into(),
            };
            return Err(GpuError::NoAdapter(format!("{what}; adapters seen: [{}]", seen.join(", "))));
        };
        let summary = summarize(&adapter);
        let limits = adapter.limits();
        let desc = wgpu::DeviceDescriptor {
            label: Some("thermogrid"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| GpuError::RequestDevice { adapter: summary.name.clone(), message: e.to_string() })?;
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let e2 = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            e2.lock().expect("error list").push(e.to_string());
        }));
        let lost: Arc<Mutex<Option<String>>> = Arc::default();
        let lost_flag = Arc::new(AtomicBool::new(false));
        let (l2, f2) = (lost.clone(), lost_flag.clone());
        device.set_device_lost_callback(move |reason, msg| {
            *l2.lock().expect("lost") = Some(format!("{reason:?}: {msg}"));
            f2.store(true, Ordering::SeqCst);
        });
        Ok(GpuContext { device, queue, adapter: summary, limits, errors, lost, lost_flag, pipelines: Mutex::default() })
    }

    /// The first error wgpu reported since the last check, or device loss.
    pub fn check(&self) -> Result<(), GpuError> {
        if self.lost_flag.load(Ordering::SeqCst) {
            return Err(GpuError::DeviceLost(self.lost.lock().expect("lost").clone().unwrap_or_default()));
        }
        let mut e = self.errors.lock().expect("error list");
        if let Some(first) = e.first().cloned() {
            e.clear();
            return Err(GpuError::Validation(first));
        }
        Ok(())
    }

    /// A compute pipeline from WGSL source, cached by `name`.
    pub fn pipeline(&self, name: &str, source: &str, entry: &str) -> Result<Arc<wgpu::ComputePipeline>, GpuError> {
        if let Some(p) = self.pipelines.lock().expect("pipelines").get(name) {
            return Ok(p.clone());
        }
        let source = compose_embedded(source).map_err(|e| GpuError::Validation(format!("{name}: {e}")))?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(name),
            source: wgpu::ShaderSource::Wgsl(source.as_str().into()),
        });
        let pipe = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(name),
            layout: None,
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Validation(format!("{name}: {e}")));
        }
        let p = Arc::new(pipe);
        self.pipelines.lock().expect("pipelines").insert(name.to_string(), p.clone());
        Ok(p)
    }

    /// Refuse a binding larger than the adapter allows.
    pub fn check_binding(&self, what: &str, bytes: u64) -> Result<(), GpuError> {
        let limit = (self.limits.max_storage_buffer_binding_size as u64).min(self.limits.max_buffer_size);
        if bytes > limit {
            return Err(GpuError::TooLarge { what: what.into(), bytes, limit });
        }
        Ok(())
    }

    /// A storage buffer holding `data` (readable back with [`GpuContext::read`]).
    pub fn storage<T: bytemuck::Pod>(&self, what: &str, data: &[T]) -> Result<wgpu::Buffer, GpuError> {
        let bytes = std::mem::size_of_val(data).max(4) as u64;
        self.check_binding(what, bytes)?;
        let contents: &[u8] = if data.is_empty() { &[0u8; 4] } else { bytemuck::cast_slice(data) };
        Ok(self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(what),
            contents,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        }))
    }

    /// A zeroed storage buffer of `len` elements of `T`.
    pub fn storage_zeroed<T: bytemuck::Pod>(&self, what: &str, len: usize) -> Result<wgpu::Buffer, GpuError> {
        let bytes = ((len * std::mem::size_of::<T>()).max(4) as u64).next_multiple_of(4);
        self.check_binding(what, bytes)?;
        Ok(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(what),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }))
    }

    /// A uniform buffer.
    pub fn uniform<T: bytemuck::Pod>(&self, what: &str, v: &T) -> wgpu::Buffer {
        self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(what),
            contents: bytemuck::bytes_of(v),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        })
    }

    /// Bind group of `buffers` at bindings 0, 1, … of group 0 of `pipe`.
    pub fn bind(&self, pipe: &wgpu::ComputePipeline, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipe.get_bind_group_layout(0),
            entries: &entries,
        })
    }

    /// Copy `len` elements of `T` from a storage buffer to the host (waits for the GPU).
    pub fn read<T: bytemuck::Pod>(&self, buf: &wgpu::Buffer, len: usize) -> Result<Vec<T>, GpuError> {
        let bytes = ((len * std::mem::size_of::<T>()) as u64).next_multiple_of(4).max(4);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(buf, 0, &staging, 0, bytes);
        self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Readback(e.to_string()))?;
        self.check()?;
        rx.recv().map_err(|e| GpuError::Readback(e.to_string()))?.map_err(|e| GpuError::Readback(e.to_string()))?;
        let view = staging.get_mapped_range(..).map_err(|e| GpuError::Readback(format!("{e:?}")))?;
        let out = bytemuck::cast_slice::<u8, T>(&view[..len * std::mem::size_of::<T>()]).to_vec();
        drop(view);
        staging.unmap();
        Ok(out)
    }

    /// Device-to-device copy bandwidth, bytes/s (read + write), on a buffer of `bytes`.
    pub fn copy_bandwidth(&self, bytes: u64) -> f64 {
        let bytes = bytes.min(self.limits.max_buffer_size / 2).max(1 << 20) & !3;
        let mk = |u| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: bytes,
                usage: u,
                mapped_at_creation: false,
            })
        };
        let a = mk(wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST);
        let b = mk(wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST);
        let reps = 10;
        let mut enc = self.device.create_command_encoder(&Default::default());
        for _ in 0..reps {
            enc.copy_buffer_to_buffer(&a, 0, &b, 0, bytes);
        }
        let t0 = std::time::Instant::now();
        self.queue.submit([enc.finish()]);
        if self.device.poll(wgpu::PollType::wait_indefinitely()).is_err() {
            return f64::NAN;
        }
        2.0 * bytes as f64 * reps as f64 / t0.elapsed().as_secs_f64()
    }

    /// Workgroup counts for `n` invocations of `size` threads, as (x, y) under the
    /// per-dimension limit.
    pub fn groups(&self, n: usize, size: u32) -> (u32, u32) {
        let g = n.div_ceil(size as usize).max(1) as u64;
        let max = self.limits.max_compute_workgroups_per_dimension.max(1) as u64;
        if g <= max {
            (g as u32, 1)
        } else {
            let y = g.div_ceil(max);
            (g.div_ceil(y) as u32, y as u32)
        }
    }
}

/// For tests: a context on any adapter, or `None` with a message (or a panic when
/// `THERMOGRID_REQUIRE_GPU=1`, as CI sets).
pub fn context_for_tests() -> Option<GpuContext> {
    match GpuContext::new(AdapterChoice::Any) {
        Ok(c) => Some(c),
        Err(e) => {
            if std::env::var("THERMOGRID_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("THERMOGRID_REQUIRE_GPU=1 but {e}");
            }
            eprintln!("skipping GPU test: {e}");
            None
        }
    }
}
