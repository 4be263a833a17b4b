//! The hall-air model on the GPU: every step of the march (eddy viscosity, momentum
//! rows and their line relaxation, divergence, pressure through the f32 multigrid,
//! projection update, bounded correction, energy rows and relaxation, the reductions
//! that steer the march and the link means) runs in WGSL kernels on device buffers, in
//! f32. Each kernel lives in `shaders/air/` and has a CPU twin of the same name:
//!
//! | kernel | CPU twin |
//! | --- | --- |
//! | `momentum_rows` | [`super::momentum::momentum_rows`] |
//! | `line_sweep` | [`super::lines::line_sweep`] |
//! | `divergence` | [`super::pressure::Projection::divergence_into`] |
//! | `project_update` | [`super::pressure::Projection::project_update`] |
//! | `effective_viscosity` | [`super::turbulence::effective_viscosity`] (with the cell speed) |
//! | `bounded_correction` | [`super::energy::bounded_correction_into`] |
//! | `energy_rows` | [`super::energy::energy_rows`] |
//! | `field_reduce`, `reduce_partials` | [`field_reduce`] |
//! | `axpby` | [`axpby`] |
//!
//! What depends on the geometry only is set up once on the host by the CPU
//! [`Stepper`] (free faces, neighbour codes, wall distances, the pressure hierarchy,
//! uploaded once) and reused by every step. A step submits the momentum predictor and
//! the projection's right-hand side; the pressure MG-PCG (a convergence readback after
//! each pair of iterations); the projection update with the energy solve (in time, one
//! submission per outer energy iteration, and the envelope's step) and a small report
//! (largest changes, largest speed, temperature range, non-finite counts, link means)
//! read back for the march's decisions and the links. The window sums of a statistically steady
//! march live on the device too. At the end the state comes back to the host in f64
//! and the CPU's final projection leaves it divergence-free to round-off.
//!
//! Mixed precision: f32 fields and f32 multigrid; the march's decisions are taken on
//! f32 reductions, and the final projection and the linked energy solve that follow a
//! facility's march run in f64 on the host.

use super::steady::{march, Air, CfdError, CfdReport, Settings, StepChange, Stepper, TURBULENCE_EVERY};
use super::{Domain, Fluid, Relaxation, State, Turbulence};
use crate::gpu::record::{record, Step};
use crate::gpu::{kernel, GpuContext, GpuError};
use crate::grid::Wall;
use crate::thermal::gpu::GpuMg;

/// The parameters of one hall-air kernel launch (see `shaders/shared/cfd.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct CfdParams {
    /// Cells per axis, and the dimensions that carry velocity.
    pub n: [u32; 4],
    /// Padded layout of the pressure vectors (pnx, pny, pz).
    pub pad: [u32; 4],
    /// Offset of each axis' faces in the face buffers; all faces.
    pub off: [u32; 4],
    /// Axis or direction, entries, workgroups along x, mode.
    pub job: [u32; 4],
    /// Fixed-temperature walls, cell data, ports, turbulence model.
    pub flags: [u32; 4],
    /// 1/dx (1/m), β (1/K), T_ref (°C), gravity along the job's axis (m/s²).
    pub phys: [f32; 4],
    /// ν (m²/s), α (m²/s), Pr_t, ρc_p (J/(m³·K)).
    pub fluid: [f32; 4],
    /// Cell volume (m³), then a kernel's own coefficients.
    pub misc: [f32; 4],
    /// Temperature of each domain wall, °C.
    pub wall_t: [[f32; 4]; 2],
    /// Tangential velocity of each domain wall, m/s.
    pub wall_v: [[f32; 4]; 6],
}

/// Slots of the step's report.
const DU: usize = 0;
const DT: usize = 1;
const UMAX: usize = 2;
const TMIN: usize = 3;
const TMAX: usize = 4;
const MOVED: usize = 5;
const BUILDING: usize = 6;
/// Entries that are not finite: velocities, temperatures, pressures.
const BAD_U: usize = 7;
const BAD_T: usize = 8;
const BAD_P: usize = 9;
/// Slots before the monitor and link means.
const SLOTS: usize = 10;
/// Workgroups of a partial reduction.
const PARTIALS: u32 = 256;

/// CPU twin of `field_reduce.wgsl` and `reduce_partials.wgsl`: 0 max |a − b|, 1 max |a|,
/// 2 min a over open cells, 3 max a over open cells, 4 Σ (a − b)², 5 Σ (a − b)² over
/// open cells, 6 Σ a, 7 the count of entries of `a` that are not finite.
pub fn field_reduce(mode: u32, a: &[f64], b: &[f64], open: &[bool]) -> f64 {
    let masked = |i: usize| matches!(mode, 2 | 3 | 5) && !open[i];
    let vals = (0..a.len()).filter(|&i| !masked(i)).map(|i| match mode {
        0 => (a[i] - b[i]).abs(),
        1 => a[i].abs(),
        2 | 3 | 6 => a[i],
        7 => f64::from(u8::from(!a[i].is_finite())),
        _ => (a[i] - b[i]).powi(2),
    });
    match mode {
        2 => vals.fold(3.0e38, f64::min),
        3 => vals.fold(-3.0e38, f64::max),
        4..=7 => vals.sum(),
        _ => vals.fold(0.0, f64::max),
    }
}

/// CPU twin of `axpby.wgsl`: `y = α y + β x` (`x` unread when β = 0).
pub fn axpby(alpha: f64, y: &mut [f64], beta: f64, x: &[f64]) {
    if beta == 0.0 {
        y.iter_mut().for_each(|y| *y *= alpha);
    } else {
        y.iter_mut().zip(x).for_each(|(y, x)| *y = alpha * *y + beta * x);
    }
}

/// Per step: each link group's temperature from the means of the link cells (in the
/// order given to [`GpuAir::new`]), like [`super::steady::Links`] from the field.
pub type MeanLinks<'a> = dyn FnMut(&[f64], &mut [f64]) + 'a;

/// One kernel of a step, for the device run's table.
#[derive(Clone)]
pub struct Profiled {
    pub name: String,
    step: Step,
    /// Entries (threads' cells, faces or lines) of one launch.
    pub entries: usize,
    /// Bytes one launch must move at least: each buffer it reads or writes, once (a
    /// line sweep's rows, iterate and eliminated coefficients; a row kernel's inputs
    /// and its rows).
    pub bytes: u64,
}

/// A window's or an epoch's sums on the device.
pub struct GpuMean {
    u: wgpu::Buffer,
    t: wgpu::Buffer,
}

/// Device buffers of the march.
struct Bufs {
    /// Velocities of all faces (x faces, then y, then z), m/s; the predictor's new ones;
    /// the relaxation's other iterate.
    u: wgpu::Buffer,
    unew: wgpu::Buffer,
    uscr: wgpu::Buffer,
    p: wgpu::Buffer,
    t: wgpu::Buffer,
    told: wgpu::Buffer,
    /// The temperatures at a step's start (a step in time), else `told` again.
    tstart: wgpu::Buffer,
    tscr: wgpu::Buffer,
    /// Per cell: the envelope's area (m²) and temperature (°C) of a step in time.
    exch: wgpu::Buffer,
    corr: wgpu::Buffer,
    nu: wgpu::Buffer,
    open: wgpu::Buffer,
    codes: wgpu::Buffer,
    /// [momentum Δt, energy Δt], s.
    scal: wgpu::Buffer,
    partial: wgpu::Buffer,
    report: wgpu::Buffer,
    group_t: wgpu::Buffer,
    from_off: wgpu::Buffer,
    from_idx: wgpu::Buffer,
    mon: wgpu::Buffer,
}

/// The march's fields on the GPU.
pub struct GpuAir<'a, 'l> {
    ctx: &'a GpuContext,
    /// The host setup (and the final projection).
    pub stepper: Stepper,
    s: &'a Settings,
    mg: GpuMg,
    base: CfdParams,
    b: Bufs,
    faces: usize,
    cells: usize,
    open_cells: usize,
    n_mon: usize,
    n_link: usize,
    /// The last report (f32 as read).
    report: Vec<f32>,
    group_t: &'a mut [f64],
    /// The links of the steady march ([`Air::step`]); a step in time brings its own.
    links: Option<&'a mut MeanLinks<'l>>,
    visc: Vec<Step>,
    momentum: Vec<Step>,
    /// The projection's update.
    flow: Vec<Step>,
    /// One energy solve (an outer iteration of a step in time).
    energy: Vec<Step>,
    /// The report's speed, temperature range, non-finite counts ([`Self::checks`]) and
    /// link means ([`Self::means`]).
    refresh: Vec<Step>,
    checks: Vec<Step>,
    means: Vec<Step>,
    /// The envelope's step (a step in time).
    building: Vec<Step>,
    steps: usize,
    /// Bytes on the device.
    pub bytes: u64,
    /// The kernels of a step, for [`GpuAir::profile`].
    pub kernels: Vec<Profiled>,
    pub pressure_iterations: usize,
    /// Host seconds in the momentum submission, the pressure solve (which waits for the
    /// momentum's kernels too) and the energy submissions with their readbacks.
    pub phase: [f64; 3],
}

fn gpu(e: GpuError) -> CfdError {
    CfdError::Gpu(e.to_string())
}

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// A launch of kernel `name` over `n` entries of workgroups of `size`, with `job`'s
/// axis and mode, and `misc`'s coefficients when given.
#[allow(clippy::too_many_arguments)]
fn launch(
    ctx: &GpuContext,
    base: &CfdParams,
    name: &str,
    size: u32,
    n: usize,
    job: (u32, u32),
    misc: Option<[f32; 4]>,
    bufs: &[&wgpu::Buffer],
) -> Result<Step, GpuError> {
    let pipe = kernel(ctx, name)?;
    let groups = ctx.groups(n, size);
    let mut prm = *base;
    prm.job = [job.0, n as u32, groups.0, job.1];
    if let Some(m) = misc {
        prm.misc = m;
    }
    let u = ctx.uniform(name, &prm);
    let mut all = vec![&u];
    all.extend_from_slice(bufs);
    Ok(Step::Run { bind: ctx.bind(&pipe, &all), pipe, groups })
}

/// `out[slot]` = the reduction `mode` of `a` (and `b`) over `n` entries from `offset`.
#[allow(clippy::too_many_arguments)]
fn reduce(
    ctx: &GpuContext,
    base: &CfdParams,
    bufs: (&wgpu::Buffer, &wgpu::Buffer, &wgpu::Buffer, &wgpu::Buffer),
    mode: u32,
    offset: usize,
    n: usize,
    slot: usize,
    out: &wgpu::Buffer,
) -> Result<[Step; 2], GpuError> {
    let (a, b, open, partial) = bufs;
    let (fr, rp) = (kernel(ctx, "field_reduce")?, kernel(ctx, "reduce_partials")?);
    let mut prm = *base;
    prm.job = [offset as u32, n as u32, PARTIALS, mode];
    let u1 = ctx.uniform("field_reduce", &prm);
    prm.job = [slot as u32, PARTIALS, 1, mode];
    let u2 = ctx.uniform("reduce_partials", &prm);
    Ok([
        Step::Run { bind: ctx.bind(&fr, &[&u1, a, b, open, partial]), pipe: fr, groups: (PARTIALS, 1) },
        Step::Run { bind: ctx.bind(&rp, &[&u2, partial, out]), pipe: rp, groups: (1, 1) },
    ])
}

/// The sweeps of `cycles` alternating-direction line cycles on the rows in `coef` over
/// the system of axis `sys` (3: the cells) of dimensions `dims`, from `x` (ping-ponged
/// with `scratch`, whose entries live at the same offsets); the answer ends in `x`
/// (a copy of `bytes` at byte offset `at` when the last sweep wrote `scratch`).
#[allow(clippy::too_many_arguments)]
fn sweeps(
    ctx: &GpuContext,
    base: &CfdParams,
    bufs: (&wgpu::Buffer, &wgpu::Buffer, &wgpu::Buffer, &wgpu::Buffer),
    sys: u32,
    dims: [usize; 3],
    cycles: usize,
    at: u64,
    bytes: u64,
) -> Result<Vec<Step>, GpuError> {
    let (coef, x, scratch, cp) = bufs;
    let entries = dims[0] * dims[1] * dims[2];
    let mut out = Vec::new();
    let (mut cur, mut next) = (x, scratch);
    for _ in 0..cycles.max(1) {
        for (dir, &len) in dims.iter().enumerate() {
            if len < 2 {
                continue;
            }
            out.push(launch(
                ctx,
                base,
                "line_sweep",
                64,
                entries / len,
                (dir as u32, sys),
                None,
                &[coef, cur, next, cp],
            )?);
            std::mem::swap(&mut cur, &mut next);
        }
    }
    if std::ptr::eq(cur, scratch) {
        out.push(Step::CopyRange { from: scratch.clone(), to: x.clone(), at, bytes });
    }
    Ok(out)
}

impl<'a, 'l> GpuAir<'a, 'l> {
    /// Set up the march of domain `d` from `state` on `ctx`: the host setup of the CPU
    /// stepper, the fields and the pressure hierarchy uploaded. `link_cells` are the
    /// groups of cells whose mean temperatures `links` turns into the inflow groups'
    /// temperatures every step.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: &'a GpuContext,
        d: &'a Domain,
        fluid: &'a Fluid,
        s: &'a Settings,
        state: &mut State,
        group_t: &'a mut [f64],
        link_cells: &[Vec<usize>],
        links: &'a mut MeanLinks<'l>,
        envelope: Option<(&[f64], &[f64])>,
    ) -> Result<Self, CfdError> {
        let Relaxation::Lines(cycles) = s.relax else {
            return Err(CfdError::Setup("the GPU march relaxes its predictors by lines (Relaxation::Lines)".into()));
        };
        let stepper = Stepper::new(d, s, state)?;
        let mac = stepper.mac;
        let (a, mg) = stepper.proj.parts();
        let gmg = GpuMg::new(ctx, a, mg).map_err(gpu)?;
        let lay = a.layout;
        let cells = mac.cells();
        let nf = [0, 1, 2].map(|a| mac.faces(a));
        let faces = nf.iter().sum::<usize>();
        let walls = d.walls.as_array();
        let mut wall_t = [[0.0f32; 4]; 2];
        let mut fixed = 0u32;
        for (k, w) in walls.iter().enumerate() {
            if let Wall::Fixed(tw) = w {
                fixed |= 1 << k;
                wall_t[k / 4][k % 4] = *tw as f32;
            }
        }
        let mut wall_v = [[0.0f32; 4]; 6];
        for (k, v) in d.wall_velocity.iter().enumerate() {
            wall_v[k] = [v[0] as f32, v[1] as f32, v[2] as f32, 0.0];
        }
        let has_extra = !d.q_w_m3.is_empty() || !d.cell_source_m3s.is_empty();
        let base = CfdParams {
            n: [mac.n[0] as u32, mac.n[1] as u32, mac.n[2] as u32, mac.nd as u32],
            pad: [lay.pn[0] as u32, lay.pn[1] as u32, lay.pad[2] as u32, 0],
            off: [0, nf[0] as u32, (nf[0] + nf[1]) as u32, faces as u32],
            job: [0; 4],
            flags: [
                fixed,
                u32::from(!d.q_w_m3.is_empty())
                    | u32::from(!d.cell_source_m3s.is_empty()) << 1
                    | u32::from(envelope.is_some()) << 2,
                d.ports.len() as u32,
                match s.turbulence {
                    Turbulence::Laminar => 0,
                    Turbulence::Lvel => 1,
                    Turbulence::ChenXu => 2,
                },
            ],
            phys: [(1.0 / mac.grid.dx) as f32, fluid.beta_1_k as f32, fluid.t_ref_c as f32, 0.0],
            fluid: [fluid.nu_m2_s as f32, fluid.alpha_m2_s as f32, fluid.prandtl_t as f32, d.rho_cp_j_m3k as f32],
            misc: [mac.grid.cell_volume_m3() as f32, 0.0, 0.0, 0.0],
            wall_t,
            wall_v,
        };
        let all_u: Vec<f32> = state.u.iter().flat_map(|v| v.iter().map(|&x| x as f32)).collect();
        let codes: Vec<u32> = (0..3)
            .flat_map(|a| {
                let (c, fr) = (&stepper.codes[a], &stepper.free[a]);
                (0..nf[a]).map(move |f| {
                    let code = c.get(f).copied().unwrap_or(0) as u32;
                    if fr[f] {
                        code | 4096
                    } else {
                        code
                    }
                })
            })
            .collect();
        let open: Vec<u32> = d.open.iter().map(|&o| u32::from(o)).collect();
        // Ports by their index in the face buffers (sorted as the map is), with groups.
        let ports: Vec<[u32; 2]> =
            d.ports.iter().map(|(&(a, f), p)| [(base.off[a] as usize + f) as u32, p.group]).collect();
        let extra: Vec<[u32; 4]> = if has_extra {
            (0..cells)
                .map(|c| {
                    [
                        (d.q_w_m3.get(c).copied().unwrap_or(0.0) as f32).to_bits(),
                        (d.cell_source_m3s.get(c).copied().unwrap_or(0.0) as f32).to_bits(),
                        d.cell_group.get(c).copied().unwrap_or(u32::MAX),
                        0,
                    ]
                })
                .collect()
        } else {
            Vec::new()
        };
        let src = f32s(&d.cell_source_m3s);
        // Monitors first, then the link cells: one compressed list for `link_mean`.
        let n_mon = d.monitor_cells.len();
        let n_link = link_cells.len();
        let mut from_off = vec![0u32];
        let mut from_idx = Vec::new();
        for cs in d.monitor_cells.iter().chain(link_cells) {
            from_idx.extend(cs.iter().map(|&c| c as u32));
            from_off.push(from_idx.len() as u32);
        }
        let rows = (0..mac.nd).map(|a| nf[a]).max().unwrap_or(0).max(cells);
        let st = |what: &str, v: &[f32]| ctx.storage(what, v).map_err(gpu);
        let z = |what: &str, n: usize| ctx.storage_zeroed::<f32>(what, n).map_err(gpu);
        let b = Bufs {
            u: st("velocities", &all_u)?,
            unew: z("new velocities", faces)?,
            uscr: z("velocity sweeps", faces)?,
            p: st("pressure", &f32s(&state.p))?,
            t: st("temperatures", &f32s(&state.t))?,
            told: z("previous temperatures", cells)?,
            tstart: z(
                "temperatures at the step's start",
                if envelope.is_some() || s.energy_outer > 1 { cells } else { 1 },
            )?,
            tscr: z("temperature sweeps", cells)?,
            exch: match envelope {
                Some((area, wall)) => {
                    let v: Vec<[f32; 2]> = area.iter().zip(wall).map(|(&a, &w)| [a as f32, w as f32]).collect();
                    ctx.storage("envelope", &v).map_err(gpu)?
                }
                None => ctx.storage("envelope", &[[0.0f32; 2]]).map_err(gpu)?,
            },
            corr: z("bounded correction", cells)?,
            nu: st("effective viscosity", &f32s(&state.nu_eff))?,
            open: ctx.storage("open cells", &open).map_err(gpu)?,
            codes: ctx.storage("face codes", &codes).map_err(gpu)?,
            scal: z("step sizes and the envelope's coefficients", 8)?,
            partial: z("partial reductions", PARTIALS as usize)?,
            report: z("step report", SLOTS + n_mon + n_link)?,
            group_t: st("group temperatures", &f32s(group_t))?,
            from_off: ctx.storage("link offsets", &from_off).map_err(gpu)?,
            from_idx: ctx.storage("link cells", &from_idx).map_err(gpu)?,
            mon: z("monitor means", n_mon.max(1))?,
        };
        let dist = st("wall distance", &stepper.dist)?;
        let coef = ctx.storage_zeroed::<f32>("rows", rows * 8).map_err(gpu)?;
        let cp = z("line elimination", rows)?;
        // A binding holds one element at least (never read where the count is zero).
        let ports_b =
            ctx.storage("ports", if ports.is_empty() { &[[u32::MAX; 2]] } else { &ports[..] }).map_err(gpu)?;
        let extra_b = ctx
            .storage("cell heat and sources", if extra.is_empty() { &[[0u32; 4]] } else { &extra[..] })
            .map_err(gpu)?;
        let src_b = st("cell sources", &src)?;
        let bytes = gmg.bytes
            + 4 * (3 * faces + 8 * cells + faces + rows * 9 + from_idx.len() + from_off.len()) as u64
            + 8 * ports.len() as u64
            + 16 * extra.len() as u64;
        let (ctx_, base_) = (ctx, &base);
        let go = |name: &str, size: u32, n: usize, job: (u32, u32), misc: Option<[f32; 4]>, bufs: &[&wgpu::Buffer]| {
            launch(ctx_, base_, name, size, n, job, misc, bufs).map_err(gpu)
        };
        let red = |a: &wgpu::Buffer, bb: &wgpu::Buffer, mode: u32, offset: usize, n: usize, slot: usize| {
            reduce(ctx_, base_, (a, bb, &b.open, &b.partial), mode, offset, n, slot, &b.report).map_err(gpu)
        };
        let visc = vec![go("effective_viscosity", 256, cells, (0, 0), None, &[&b.open, &b.u, &dist, &b.nu])?];
        let (fb, cb) = (4 * faces as u64, 4 * cells as u64);
        let mut kernels = vec![Profiled {
            name: "effective_viscosity".into(),
            step: visc[0].clone(),
            entries: cells,
            bytes: fb + 4 * cb,
        }];
        let mut momentum = vec![Step::Copy(b.u.clone(), b.unew.clone())];
        for a in 0..mac.nd {
            let mut prm = base;
            prm.phys[3] = fluid.gravity_m_s2[a] as f32;
            momentum.push(
                launch(
                    ctx,
                    &prm,
                    "momentum_rows",
                    256,
                    nf[a],
                    (a as u32, 0),
                    None,
                    &[&b.scal, &b.codes, &b.u, &b.nu, &b.t, &b.p, &coef],
                )
                .map_err(gpu)?,
            );
            let at = 4 * base.off[a] as u64;
            let sw = sweeps(
                ctx,
                &base,
                (&coef, &b.unew, &b.uscr, &cp),
                a as u32,
                mac.fdims[a],
                cycles,
                at,
                4 * nf[a] as u64,
            )
            .map_err(gpu)?;
            if a == 0 {
                let rows = momentum.last().cloned().expect("the rows were just recorded");
                let nf0 = nf[0] as u64;
                kernels.push(Profiled {
                    name: "momentum_rows (x faces)".into(),
                    step: rows,
                    entries: nf[0],
                    bytes: fb + 3 * cb + nf0 * 36,
                });
                for (dir, step) in sw.iter().take(mac.nd).enumerate() {
                    kernels.push(Profiled {
                        name: format!("line_sweep (x faces, along {})", ["x", "y", "z"][dir]),
                        step: step.clone(),
                        entries: nf[0],
                        bytes: nf0 * 52,
                    });
                }
            }
            momentum.extend(sw);
        }
        let du = red(&b.unew, &b.u, 0, 0, faces, DU)?;
        kernels.push(Profiled {
            name: "field_reduce (max |Δu|)".into(),
            step: du[0].clone(),
            entries: faces,
            bytes: 2 * fb,
        });
        momentum.extend(du);
        momentum.push(Step::Copy(b.unew.clone(), b.u.clone()));
        momentum.push(Step::Clear(gmg.r.clone()));
        momentum.push(go("divergence", 256, cells, (0, 1), None, &[&b.scal, &b.open, &b.u, &src_b, &gmg.r])?);
        kernels.push(Profiled {
            name: "divergence".into(),
            step: momentum.last().cloned().expect("just recorded"),
            entries: cells,
            bytes: fb + 2 * cb,
        });
        let mut flow = Vec::new();
        for a in 0..mac.nd {
            flow.push(go("project_update", 256, nf[a], (0, a as u32), None, &[&b.scal, &b.codes, &gmg.x, &b.u, &b.p])?);
        }
        kernels.push(Profiled {
            name: "project_update (x faces)".into(),
            step: flow[0].clone(),
            entries: nf[0],
            bytes: 12 * nf[0] as u64 + cb,
        });
        flow.push(go("project_update", 256, cells, (0, 3), None, &[&b.scal, &b.codes, &gmg.x, &b.u, &b.p])?);
        // In time the rows' old temperatures are the step's start; the bounded correction
        // and the first guess the latest iterate.
        let in_time = envelope.is_some() || s.energy_outer > 1;
        let start = if in_time { &b.tstart } else { &b.told };
        let mut energy = vec![Step::Copy(b.t.clone(), b.told.clone())];
        energy.push(go("bounded_correction", 256, cells, (0, 0), None, &[&b.open, &b.codes, &b.u, &b.told, &b.corr])?);
        energy.push(go(
            "energy_rows",
            256,
            cells,
            (0, 0),
            None,
            &[
                &b.scal, &b.open, &b.codes, &b.u, &b.nu, &b.told, start, &b.corr, &ports_b, &b.group_t, &extra_b,
                &b.exch, &coef,
            ],
        )?);
        kernels.push(Profiled {
            name: "bounded_correction".into(),
            step: energy[1].clone(),
            entries: cells,
            bytes: 2 * fb + 3 * cb,
        });
        kernels.push(Profiled {
            name: "energy_rows".into(),
            step: energy[2].clone(),
            entries: cells,
            bytes: 2 * fb + 13 * cb,
        });
        let sw = sweeps(ctx, &base, (&coef, &b.t, &b.tscr, &cp), 3, mac.n, cycles, 0, 4 * cells as u64).map_err(gpu)?;
        for (dir, step) in sw.iter().take(mac.nd).enumerate() {
            kernels.push(Profiled {
                name: format!("line_sweep (cells, along {})", ["x", "y", "z"][dir]),
                step: step.clone(),
                entries: cells,
                bytes: 13 * cb,
            });
        }
        energy.extend(sw);
        energy.extend(red(&b.t, start, 0, 0, cells, DT)?);
        energy.extend(red(&b.t, &b.told, 0, 0, cells, MOVED)?);
        let mut building = Vec::new();
        if envelope.is_some() {
            building.push(go("building_exchange", 256, cells, (0, 0), None, &[&b.scal, &b.t, &b.exch, &b.corr])?);
            building.extend(red(&b.corr, &b.corr, 6, 0, cells, BUILDING)?);
        }
        let mut refresh = Vec::new();
        refresh.extend(red(&b.u, &b.u, 1, 0, faces, UMAX)?);
        refresh.extend(red(&b.t, &b.t, 2, 0, cells, TMIN)?);
        refresh.extend(red(&b.t, &b.t, 3, 0, cells, TMAX)?);
        // NaN or ∞ anywhere (a max reduction may pass over them).
        refresh.extend(red(&b.u, &b.u, 7, 0, faces, BAD_U)?);
        refresh.extend(red(&b.t, &b.t, 7, 0, cells, BAD_T)?);
        refresh.extend(red(&b.p, &b.p, 7, 0, cells, BAD_P)?);
        let checks = refresh.clone();
        let mut means = Vec::new();
        if n_mon + n_link > 0 {
            let pipe = kernel(ctx, "link_mean").map_err(gpu)?;
            let gl = ctx.groups(n_mon + n_link, 64);
            let prm = crate::thermal::gpu::VecParams {
                n: (n_mon + n_link) as u32,
                groups_x: gl.0,
                slot: SLOTS as u32,
                mode: 0,
            };
            let u = ctx.uniform("link means", &prm);
            means.push(Step::Run {
                bind: ctx.bind(&pipe, &[&u, &b.from_off, &b.from_idx, &b.t, &b.report]),
                pipe,
                groups: gl,
            });
        }
        refresh.extend(means.iter().cloned());
        let open_cells = d.open.iter().filter(|&&o| o).count();
        let mut air = GpuAir {
            ctx,
            stepper,
            s,
            mg: gmg,
            base,
            b,
            faces,
            cells,
            open_cells,
            n_mon,
            n_link,
            report: Vec::new(),
            group_t,
            links: Some(links),
            visc,
            momentum,
            flow,
            energy,
            refresh,
            checks,
            means,
            building,
            steps: 0,
            bytes,
            kernels,
            pressure_iterations: 0,
            phase: [0.0; 3],
        };
        air.submit_refresh()?;
        Ok(air)
    }

    fn submit(&self, steps: &[&[Step]]) {
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        for s in steps {
            record(s, &mut enc);
        }
        self.ctx.queue.submit([enc.finish()]);
    }

    fn read_report(&mut self) -> Result<(), CfdError> {
        self.report = self.ctx.read::<f32>(&self.b.report, SLOTS + self.n_mon + self.n_link).map_err(gpu)?;
        Ok(())
    }

    /// Recompute the report's speed, temperature range and link means from the state.
    fn submit_refresh(&mut self) -> Result<(), CfdError> {
        self.submit(&[&self.refresh]);
        self.read_report()
    }

    fn run(&self, name: &str, n: usize, misc: Option<[f32; 4]>, bufs: &[&wgpu::Buffer]) -> Result<(), CfdError> {
        let step = launch(self.ctx, &self.base, name, 256, n, (0, 0), misc, bufs).map_err(gpu)?;
        self.submit(&[&[step]]);
        Ok(())
    }

    /// `y = α y + β x` on the velocities and the temperatures.
    fn blend(&self, y: &GpuMean, alpha: f64, x: (&wgpu::Buffer, &wgpu::Buffer), beta: f64) -> Result<(), CfdError> {
        let m = Some([0.0, alpha as f32, beta as f32, 0.0]);
        self.run("axpby", self.faces, m, &[x.0, &y.u])?;
        self.run("axpby", self.cells, m, &[x.1, &y.t])
    }

    fn reduce_read(&self, a: &wgpu::Buffer, b: &wgpu::Buffer, mode: u32, n: usize) -> Result<f64, CfdError> {
        let out = &self.b.mon;
        let steps =
            reduce(self.ctx, &self.base, (a, b, &self.b.open, &self.b.partial), mode, 0, n, 0, out).map_err(gpu)?;
        self.submit(&[&steps]);
        Ok(self.ctx.read::<f32>(out, 1).map_err(gpu)?[0] as f64)
    }

    /// One step: momentum over `dt`, projection, then up to `energy_outer` energy solves
    /// over `energy_dt` (in time each from the step's start, the links refreshed from
    /// the latest iterate, until two iterates agree to `energy_outer_tol_k`); with an
    /// envelope, `building` = [exchange rate per m² of envelope (1/(s·m²)), h_eff
    /// (W/(m²·K)), C_b/Δt (J/(m²·K·s)), h (W/(m²·K))] for it and the envelope's step.
    fn step_with(
        &mut self,
        dt: f64,
        energy_dt: f64,
        building: [f64; 4],
        links: &mut MeanLinks,
    ) -> Result<StepChange, CfdError> {
        self.steps += 1;
        let uref = (self.report[UMAX] as f64).max(self.s.velocity_scale_m_s);
        let q = &self.ctx.queue;
        let mut scal = [dt as f32, energy_dt as f32, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        for k in 0..4 {
            scal[2 + k] = building[k] as f32;
        }
        q.write_buffer(&self.b.scal, 0, bytemuck::cast_slice(&scal));
        let tm = std::time::Instant::now();
        if (self.steps - 1) % TURBULENCE_EVERY == 0 {
            self.submit(&[&self.visc, &self.momentum]);
        } else {
            self.submit(&[&self.momentum]);
        }
        self.phase[0] += tm.elapsed().as_secs_f64();
        let tm = std::time::Instant::now();
        // A step's pressure usually meets its tolerance in one or two iterations (as on
        // the CPU): a check after each pair, not after four.
        let (its, _) = self.mg.pcg_resident(self.ctx, self.s.pressure_tol, 200, 2).map_err(gpu)?;
        self.pressure_iterations += its;
        self.phase[1] += tm.elapsed().as_secs_f64();
        let tm = std::time::Instant::now();
        let outer = if self.s.energy { self.s.energy_outer.max(1) } else { 0 };
        // Whether the report's checks ran on the step's final state.
        let mut checked = true;
        if outer == 0 {
            self.submit(&[&self.flow, &self.refresh]);
            self.read_report()?;
        } else {
            let start = [Step::Copy(self.b.t.clone(), self.b.tstart.clone())];
            let start: &[Step] = if self.b.tstart.size() >= self.b.t.size() { &start } else { &[] };
            self.submit(&[&self.flow, start]);
            for k in 0..outer {
                // The links from the latest temperatures (at the first solve, the last
                // step's: the momentum step does not move them).
                // Always: groups without link cells (tiles) are set by the links too.
                let means: Vec<f64> = self.report[SLOTS + self.n_mon..].iter().map(|&v| v as f64).collect();
                links(&means, self.group_t);
                if !self.group_t.is_empty() {
                    q.write_buffer(&self.b.group_t, 0, bytemuck::cast_slice(&f32s(self.group_t)));
                }
                // An outer iteration needs only the link means; the state's checks run
                // once, after the last.
                let last = k + 1 == outer;
                let checks: &[Step] = if last { &self.checks } else { &[] };
                self.submit(&[&self.energy, &self.means, checks]);
                self.read_report()?;
                if !last && (self.report[MOVED] as f64) < self.s.energy_outer_tol_k {
                    checked = false;
                    break;
                }
            }
        }
        let checks: &[Step] = if checked { &[] } else { &self.checks };
        if !checks.is_empty() || !self.building.is_empty() {
            self.submit(&[checks, &self.building]);
            self.read_report()?;
        }
        self.phase[2] += tm.elapsed().as_secs_f64();
        let (du, dt_k) = (self.report[DU] as f64, self.report[DT] as f64);
        let bad = |slot: usize| self.report[slot] != 0.0;
        if !du.is_finite() || !(self.report[UMAX] as f64).is_finite() || bad(BAD_U) || bad(BAD_P) {
            return Err(CfdError::Diverged { step: self.steps, what: "the velocity" });
        }
        if self.s.energy && (!dt_k.is_finite() || bad(BAD_T)) {
            return Err(CfdError::Diverged { step: self.steps, what: "the temperature" });
        }
        Ok(StepChange { du, dt_k, uref })
    }

    /// A step in time of `h` seconds with the envelope's exchange (see
    /// [`GpuAir::step_with`]); returns it and the heat into the envelope, W.
    pub fn time_step(
        &mut self,
        h: f64,
        building: [f64; 4],
        links: &mut MeanLinks,
    ) -> Result<(StepChange, f64), CfdError> {
        let ch = self.step_with(h, h, building, links)?;
        Ok((ch, self.report[BUILDING] as f64))
    }

    /// Each kernel of [`GpuAir::kernels`] launched `reps` times in one submission: its
    /// name, entries, seconds per launch and compulsory bytes per launch.
    pub fn profile(&self, reps: usize) -> Result<Vec<(String, usize, f64, u64)>, CfdError> {
        let mut out = Vec::new();
        let wait =
            || self.ctx.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| CfdError::Gpu(e.to_string()));
        for k in &self.kernels {
            let steps = vec![k.step.clone(); reps.max(1)];
            // One launch first (pipeline and caches warm), then the timed batch.
            self.submit(&[&steps[..1]]);
            wait()?;
            let t0 = std::time::Instant::now();
            self.submit(&[&steps]);
            wait()?;
            self.ctx.check().map_err(gpu)?;
            out.push((k.name.clone(), k.entries, t0.elapsed().as_secs_f64() / reps.max(1) as f64, k.bytes));
        }
        Ok(out)
    }

    /// The largest face speed of the state, m/s.
    pub fn max_speed(&self) -> f64 {
        self.report[UMAX] as f64
    }

    /// The temperatures, °C (f64 from the f32 on the device).
    pub fn temperatures(&self) -> Result<Vec<f64>, CfdError> {
        Ok(self.ctx.read::<f32>(&self.b.t, self.cells).map_err(gpu)?.iter().map(|&v| v as f64).collect())
    }

    /// The envelope's temperature next to each cell, °C.
    pub fn envelope_temperatures(&self) -> Result<Vec<f64>, CfdError> {
        let v = self.ctx.read::<[f32; 2]>(&self.b.exch, self.cells).map_err(gpu)?;
        Ok(v.iter().map(|e| e[1] as f64).collect())
    }

    /// The state back on the host, in f64, with `d`'s prescribed faces exactly (f32
    /// rounding would unbalance the room's flows).
    pub fn download_exact(&self, d: &Domain, state: &mut State) -> Result<(), CfdError> {
        self.download(state)?;
        for (&(a, f), p) in &d.ports {
            if !self.stepper.free[a][f] {
                state.u[a][f] = p.velocity_m_s;
            }
        }
        Ok(())
    }

    /// The state back on the host, in f64.
    pub fn download(&self, state: &mut State) -> Result<(), CfdError> {
        let u = self.ctx.read::<f32>(&self.b.u, self.faces).map_err(gpu)?;
        let mut at = 0;
        for a in 0..3 {
            let n = state.u[a].len();
            state.u[a].iter_mut().zip(&u[at..at + n]).for_each(|(x, &y)| *x = y as f64);
            at += n;
        }
        for (host, buf) in [(&mut state.p, &self.b.p), (&mut state.t, &self.b.t), (&mut state.nu_eff, &self.b.nu)] {
            let v = self.ctx.read::<f32>(buf, self.cells).map_err(gpu)?;
            host.iter_mut().zip(v).for_each(|(x, y)| *x = y as f64);
        }
        Ok(())
    }
}

impl Air for GpuAir<'_, '_> {
    type Mean = GpuMean;

    fn courant_dt(&mut self, s: &Settings) -> Result<(f64, f64), CfdError> {
        let uref = (self.report[UMAX] as f64).max(s.velocity_scale_m_s);
        Ok((s.cfl * self.stepper.mac.grid.dx / uref, uref))
    }

    fn step(&mut self, dt: f64, energy_dt: f64) -> Result<StepChange, CfdError> {
        let links = self.links.take().ok_or_else(|| CfdError::Gpu("the march's links are missing".into()))?;
        let out = self.step_with(dt, energy_dt, [0.0; 4], &mut *links);
        self.links = Some(links);
        out
    }

    fn t_range(&mut self, m: Option<&GpuMean>) -> Result<(f64, f64), CfdError> {
        match m {
            None => Ok((self.report[TMIN] as f64, self.report[TMAX] as f64)),
            Some(m) => Ok((self.reduce_read(&m.t, &m.t, 2, self.cells)?, self.reduce_read(&m.t, &m.t, 3, self.cells)?)),
        }
    }

    fn monitors(&mut self, m: &GpuMean) -> Result<Vec<f64>, CfdError> {
        if self.n_mon == 0 {
            return Ok(Vec::new());
        }
        let pipe = kernel(self.ctx, "link_mean").map_err(gpu)?;
        let gl = self.ctx.groups(self.n_mon, 64);
        let prm = crate::thermal::gpu::VecParams { n: self.n_mon as u32, groups_x: gl.0, slot: 0, mode: 0 };
        let u = self.ctx.uniform("monitor means", &prm);
        let step = Step::Run {
            bind: self.ctx.bind(&pipe, &[&u, &self.b.from_off, &self.b.from_idx, &m.t, &self.b.mon]),
            pipe,
            groups: gl,
        };
        self.submit(&[&[step]]);
        Ok(self.ctx.read::<f32>(&self.b.mon, self.n_mon).map_err(gpu)?.iter().map(|&v| v as f64).collect())
    }

    fn zeroed(&mut self) -> Result<GpuMean, CfdError> {
        Ok(GpuMean {
            u: self.ctx.storage_zeroed::<f32>("window velocities", self.faces).map_err(gpu)?,
            t: self.ctx.storage_zeroed::<f32>("window temperatures", self.cells).map_err(gpu)?,
        })
    }

    fn add_state(&mut self, m: &mut GpuMean) -> Result<(), CfdError> {
        self.blend(m, 1.0, (&self.b.u, &self.b.t), 1.0)
    }

    fn add_mean(&mut self, m: &mut GpuMean, from: &GpuMean) -> Result<(), CfdError> {
        self.blend(m, 1.0, (&from.u, &from.t), 1.0)
    }

    fn scale(&mut self, m: &mut GpuMean, k: f64) -> Result<(), CfdError> {
        self.blend(m, k, (&self.b.u, &self.b.t), 0.0)
    }

    fn clear(&mut self, m: &mut GpuMean) -> Result<(), CfdError> {
        self.submit(&[&[Step::Clear(m.u.clone()), Step::Clear(m.t.clone())]]);
        Ok(())
    }

    fn rms_change(&mut self, a: &GpuMean, b: &GpuMean) -> Result<(f64, f64), CfdError> {
        let su = self.reduce_read(&a.u, &b.u, 4, self.faces)?;
        let st = self.reduce_read(&a.t, &b.t, 5, self.cells)?;
        Ok(((su / self.faces.max(1) as f64).sqrt(), (st / self.open_cells.max(1) as f64).sqrt()))
    }

    fn set_mean_of(&mut self, a: &GpuMean, b: &GpuMean) -> Result<(), CfdError> {
        self.submit(&[&[Step::Copy(a.u.clone(), self.b.u.clone()), Step::Copy(a.t.clone(), self.b.t.clone())]]);
        let state = GpuMean { u: self.b.u.clone(), t: self.b.t.clone() };
        self.blend(&state, 0.5, (&b.u, &b.t), 0.5)?;
        self.submit_refresh()
    }

    fn set_state(&mut self, m: GpuMean) -> Result<(), CfdError> {
        self.submit(&[&[Step::Copy(m.u, self.b.u.clone()), Step::Copy(m.t, self.b.t.clone())]]);
        self.submit_refresh()
    }

    fn refresh_viscosity(&mut self) -> Result<(), CfdError> {
        self.submit(&[&self.visc]);
        Ok(())
    }
}

/// [`super::solve_steady`] on the GPU: march `state` to the steady state of `d` (the
/// links from the means of `link_cells`), bring it back, and project it on the host to
/// a divergence-free field in f64.
#[allow(clippy::too_many_arguments)]
pub fn solve_steady_gpu(
    ctx: &GpuContext,
    d: &Domain,
    fluid: &Fluid,
    s: &Settings,
    state: &mut State,
    group_t: &mut [f64],
    link_cells: &[Vec<usize>],
    links: &mut MeanLinks,
) -> Result<CfdReport, CfdError> {
    let t0 = std::time::Instant::now();
    let mut air = GpuAir::new(ctx, d, fluid, s, state, group_t, link_cells, links, None)?;
    let m = march(&mut air, d, s)?;
    air.download_exact(d, state)?;
    if std::env::var_os("THERMOGRID_TRACE").is_some() {
        eprintln!(
            "[cfd gpu] {} steps: momentum {:.3} s, pressure {:.3} s ({} MG-PCG iterations), energy and report {:.3} s, {:.1} MB on the device",
            m.steps,
            air.phase[0],
            air.phase[1],
            air.pressure_iterations,
            air.phase[2],
            air.bytes as f64 / 1e6
        );
    }
    let (pressure_iterations, device_bytes) = (air.pressure_iterations, air.bytes);
    let mut stepper = air.stepper;
    let mut m = m;
    m.mass_residual = stepper.finish(d, s, state);
    m.pressure_iterations = pressure_iterations;
    m.bytes = stepper.bytes() + device_bytes as usize;
    m.seconds = t0.elapsed().as_secs_f64();
    Ok(m)
}

#[cfg(test)]
mod tests {
    //! Every kernel against its CPU twin on a small 3-D room with an obstacle, ports
    //! with and without inflow groups, a wall held at a temperature and a moving wall,
    //! from the same f32-representable inputs (on lavapipe in CI).
    use super::*;
    use crate::airflow::cfd::energy::{bounded_correction_into, energy_rows, EnergyInputs};
    use crate::airflow::cfd::momentum::{momentum_rows, MomentumInputs};
    use crate::airflow::cfd::pressure::Projection;
    use crate::airflow::cfd::steady::cell_speed;
    use crate::airflow::cfd::turbulence::effective_viscosity;
    use crate::airflow::cfd::{lines::line_sweep, Mac, Port};
    use crate::grid::{Grid, Walls};

    /// f64 values that f32 holds exactly.
    fn r32(x: f64) -> f64 {
        x as f32 as f64
    }

    fn wave(i: usize, k: f64) -> f64 {
        r32((i as f64 * k).sin() * 0.5 + (i as f64 * 0.37 * k).cos() * 0.3)
    }

    fn room() -> (Domain, Fluid) {
        let g = Grid::new_3d(10, 8, 6, 0.2);
        let mac = Mac::new(g);
        let mut walls = Walls::all(Wall::Adiabatic);
        walls.xlo = Wall::Fixed(30.0);
        let mut d = Domain::closed_box(g, walls);
        d.wall_velocity[5] = [0.3, -0.1, 0.0];
        // An obstacle.
        for k in 0..3 {
            for j in 3..5 {
                for i in 4..6 {
                    d.open[mac.cell([i, j, k])] = false;
                }
            }
        }
        // In through two floor faces (one of them with a group), out through the ceiling.
        for (i, j, grp) in [(1, 1, 0u32), (2, 1, u32::MAX)] {
            d.ports.insert((2, mac.face(2, [i, j, 0])), Port { velocity_m_s: 0.4, group: grp });
        }
        d.ports.insert((2, mac.face(2, [8, 6, 6])), Port { velocity_m_s: 0.8, group: u32::MAX });
        d.q_w_m3 = (0..g.cells()).map(|c| if c % 7 == 0 { 500.0 } else { 0.0 }).collect();
        (d, Fluid::air(20.0, &g))
    }

    fn close(what: &str, gpu: &[f32], cpu: &[f64], tol: f64) {
        assert_eq!(gpu.len(), cpu.len(), "{what}");
        let scale = cpu.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-30);
        for (i, (g, c)) in gpu.iter().zip(cpu).enumerate() {
            assert!(((*g as f64) - c).abs() <= tol * scale, "{what}[{i}]: GPU {g} vs CPU {c} (scale {scale})");
        }
    }

    #[test]
    fn every_kernel_matches_its_cpu_twin() {
        let Some(ctx) = crate::gpu::context_for_tests() else { return };
        let (d, fluid) = room();
        let s = Settings { relax: Relaxation::Lines(1), ..Settings::default() };
        let mut state = State::at_rest(&d, 20.0);
        let probe = Stepper::new(&d, &s, &mut state).unwrap();
        let (mac, free) = (probe.mac, probe.free.clone());
        for a in 0..3 {
            for (f, v) in state.u[a].iter_mut().enumerate() {
                if free[a][f] {
                    *v = wave(f + 100 * a, 0.7);
                }
            }
        }
        let n = mac.cells();
        state.t = (0..n).map(|c| r32(20.0 + 8.0 * wave(c, 1.3).abs())).collect();
        state.p = (0..n).map(|c| wave(c, 0.4)).collect();
        state.nu_eff = (0..n).map(|c| r32(1.5e-5 + 1e-3 * wave(c, 2.1).abs())).collect();
        let mut group_t = vec![24.0];
        let mut links = |_: &[f64], _: &mut [f64]| {};
        let mut st = state.clone();
        let air = GpuAir::new(&ctx, &d, &fluid, &s, &mut st, &mut group_t, &[], &mut links, None).unwrap();
        let (dt, edt) = (0.05, 0.5);
        ctx.queue.write_buffer(&air.b.scal, 0, bytemuck::cast_slice(&[dt as f32, edt as f32, 0.0, 0.0]));
        let b = &air.b;
        let run = |step: Step| {
            air.submit(&[&[step]]);
        };
        let go = |name: &str, size: u32, n: usize, job: (u32, u32), bufs: &[&wgpu::Buffer]| {
            launch(&ctx, &air.base, name, size, n, job, None, bufs).unwrap()
        };

        // Eddy viscosity (LVEL) from the cell speed.
        let dist = ctx.storage("dist", &air.stepper.dist).unwrap();
        let mut speed = Vec::new();
        cell_speed(&mac, &state.u, &d.open, &mut speed);
        let mut nu_cpu = vec![0.0; n];
        effective_viscosity(Turbulence::Lvel, fluid.nu_m2_s, &air.stepper.dist, &speed, &mut nu_cpu);
        let nu_out = ctx.storage_zeroed::<f32>("nu out", n).unwrap();
        run(go("effective_viscosity", 256, n, (0, 0), &[&b.open, &b.u, &dist, &nu_out]));
        close("effective viscosity", &ctx.read::<f32>(&nu_out, n).unwrap(), &nu_cpu, 1e-4);

        // Momentum rows of each axis, then one line sweep of them along each direction.
        let coef = ctx.storage_zeroed::<f32>("rows", 8 * air.faces).unwrap();
        let m = MomentumInputs {
            mac: &mac,
            free: &free,
            wall_velocity: &d.wall_velocity,
            nu: &state.nu_eff,
            t: &state.t,
            p: &state.p,
            fluid: &fluid,
            dt,
            relax: s.relax,
        };
        for a in 0..3 {
            let nf = mac.faces(a);
            let mut rows = vec![[0.0; 8]; nf];
            momentum_rows(&m, &air.stepper.codes, &state.u, a, &mut rows);
            let mut prm = air.base;
            prm.phys[3] = fluid.gravity_m_s2[a] as f32;
            run(launch(
                &ctx,
                &prm,
                "momentum_rows",
                256,
                nf,
                (a as u32, 0),
                None,
                &[&b.scal, &b.codes, &b.u, &b.nu, &b.t, &b.p, &coef],
            )
            .unwrap());
            let got = ctx.read::<f32>(&coef, 8 * nf).unwrap();
            let flat: Vec<f64> = rows.iter().flatten().copied().collect();
            close(&format!("momentum rows of axis {a}"), &got, &flat, 1e-5);
            // The CPU's rows (rounded to f32) on both sides.
            let rows32: Vec<[f64; 8]> = rows.iter().map(|r| r.map(r32)).collect();
            ctx.queue.write_buffer(&coef, 0, bytemuck::cast_slice(&f32s(&flat)));
            let cp = ctx.storage_zeroed::<f32>("cp", nf).unwrap();
            let fd = mac.fdims[a];
            for dir in 0..3 {
                let mut next = vec![0.0; nf];
                line_sweep(&rows32, fd, dir, &state.u[a], &mut next);
                ctx.queue.write_buffer(
                    &b.uscr,
                    0,
                    bytemuck::cast_slice(&vec![0.0f32; mac.faces(0) + mac.faces(1) + mac.faces(2)]),
                );
                run(go("line_sweep", 64, nf / fd[dir], (dir as u32, a as u32), &[&coef, &b.u, &b.uscr, &cp]));
                let all = ctx.read::<f32>(&b.uscr, air.faces).unwrap();
                let at = air.base.off[a] as usize;
                close(&format!("line sweep of axis {a} along {dir}"), &all[at..at + nf], &next, 1e-4);
            }
        }

        // Divergence (plain), and the projection's update from a given φ.
        let mut div = vec![0.0; n];
        Projection::divergence_into(&mac, &d.open, &state.u, &d.cell_source_m3s, &mut div);
        let out = ctx.storage_zeroed::<f32>("div", n).unwrap();
        let none = ctx.storage_zeroed::<f32>("none", 1).unwrap();
        run(go("divergence", 256, n, (0, 0), &[&b.scal, &b.open, &b.u, &none, &out]));
        close("divergence", &ctx.read::<f32>(&out, n).unwrap(), &div, 1e-5);
        let phi: Vec<f64> = (0..n).map(|c| 0.01 * wave(c, 0.9)).collect();
        let lay = air.stepper.proj.parts().0.layout;
        let phi_p = f32s(&lay.to_padded(&phi));
        ctx.queue.write_buffer(&air.mg.x, 0, bytemuck::cast_slice(&phi_p));
        let (mut u_cpu, mut p_cpu) = (state.u.clone(), state.p.clone());
        Projection::project_update(&mac, &free, &phi, dt, &mut u_cpu, &mut p_cpu);
        for a in 0..3 {
            run(go("project_update", 256, mac.faces(a), (0, a as u32), &[&b.scal, &b.codes, &air.mg.x, &b.u, &b.p]));
        }
        run(go("project_update", 256, n, (0, 3), &[&b.scal, &b.codes, &air.mg.x, &b.u, &b.p]));
        let all: Vec<f64> = u_cpu.iter().flatten().copied().collect();
        close("projected velocities", &ctx.read::<f32>(&b.u, air.faces).unwrap(), &all, 1e-6);
        close("pressure plus φ", &ctx.read::<f32>(&b.p, n).unwrap(), &p_cpu, 1e-6);

        // Bounded correction and energy rows on the projected velocities.
        let u32_: [Vec<f64>; 3] = u_cpu.map(|v| v.iter().map(|&x| r32(x)).collect());
        let mut corr = vec![0.0; n];
        bounded_correction_into(&mac, &d.open, &free, &u32_, &state.t, &mut corr);
        run(go("bounded_correction", 256, n, (0, 0), &[&b.open, &b.codes, &b.u, &b.t, &b.corr]));
        let corr_gpu = ctx.read::<f32>(&b.corr, n).unwrap();
        close("bounded correction", &corr_gpu, &corr, 1e-4);
        let corr32: Vec<f64> = corr_gpu.iter().map(|&x| x as f64).collect();
        // In time: the step's start, the envelope's exchange (rate per m² · area).
        let tstart: Vec<f64> = state.t.iter().enumerate().map(|(c, t)| r32(t - 0.5 * wave(c, 0.8))).collect();
        let area: Vec<f64> = (0..n).map(|c| if c % 3 == 0 { r32(0.04 * (1 + c % 5) as f64) } else { 0.0 }).collect();
        let wall: Vec<f64> = (0..n).map(|c| r32(19.0 + wave(c, 0.3))).collect();
        let rate_per_m2 = r32(0.02);
        let rate: Vec<f64> = area.iter().map(|a| rate_per_m2 * a).collect();
        ctx.queue.write_buffer(&b.scal, 0, bytemuck::cast_slice(&[dt as f32, edt as f32, rate_per_m2 as f32, 0.0]));
        let e = EnergyInputs {
            mac: &mac,
            open: &d.open,
            free: &free,
            u: &u32_,
            nu_eff: &state.nu_eff,
            fluid: &fluid,
            walls: d.walls.as_array(),
            ports: &d.ports,
            cell_source_m3s: &d.cell_source_m3s,
            cell_group: &d.cell_group,
            group_t: &[24.0],
            q_w_m3: &d.q_w_m3,
            rho_cp_j_m3k: d.rho_cp_j_m3k,
            exchange: (&rate, &wall),
            dt: edt,
            t_old: Some(&tstart),
            relax: s.relax,
        };
        let mut rows = vec![[0.0; 8]; n];
        energy_rows(&e, &state.t, &corr32, &mut rows);
        ctx.queue.write_buffer(&b.corr, 0, bytemuck::cast_slice(&f32s(&corr32)));
        let ports: Vec<[u32; 2]> =
            d.ports.iter().map(|(&(a, f), p)| [(air.base.off[a] as usize + f) as u32, p.group]).collect();
        let ports_b = ctx.storage("ports", &ports).unwrap();
        let extra: Vec<[u32; 4]> = (0..n).map(|c| [(d.q_w_m3[c] as f32).to_bits(), 0, u32::MAX, 0]).collect();
        let extra_b = ctx.storage("extra", &extra).unwrap();
        let exch: Vec<[f32; 2]> = area.iter().zip(&wall).map(|(&a, &w)| [a as f32, w as f32]).collect();
        let exch_b = ctx.storage("envelope", &exch).unwrap();
        let start_b = ctx.storage("start", &f32s(&tstart)).unwrap();
        let mut prm = air.base;
        prm.flags[1] |= 4;
        run(launch(
            &ctx,
            &prm,
            "energy_rows",
            256,
            n,
            (0, 0),
            None,
            &[
                &b.scal, &b.open, &b.codes, &b.u, &b.nu, &b.t, &start_b, &b.corr, &ports_b, &b.group_t, &extra_b,
                &exch_b, &coef,
            ],
        )
        .unwrap());
        let flat: Vec<f64> = rows.iter().flatten().copied().collect();
        close("energy rows", &ctx.read::<f32>(&coef, 8 * n).unwrap(), &flat, 1e-5);

        // The envelope's step.
        let (h_eff, cb, hb) = (r32(3.5), r32(40.0), r32(5.0));
        let mut wall_cpu = wall.clone();
        let w_cpu =
            crate::airflow::facility::transient::building_exchange(&area, h_eff, cb, hb, &state.t, &mut wall_cpu);
        ctx.queue.write_buffer(
            &b.scal,
            0,
            bytemuck::cast_slice(&[0.0f32, 0.0, 0.0, h_eff as f32, cb as f32, hb as f32]),
        );
        let flux = ctx.storage_zeroed::<f32>("flux", n).unwrap();
        run(go("building_exchange", 256, n, (0, 0), &[&b.scal, &b.t, &exch_b, &flux]));
        let w_gpu: f64 = ctx.read::<f32>(&flux, n).unwrap().iter().map(|&v| v as f64).sum();
        assert!((w_gpu - w_cpu).abs() <= 1e-5 * w_cpu.abs(), "envelope heat: GPU {w_gpu} W vs CPU {w_cpu} W");
        let after: Vec<f32> = ctx.read::<[f32; 2]>(&exch_b, n).unwrap().iter().map(|e| e[1]).collect();
        close("envelope temperatures", &after, &wall_cpu, 1e-6);

        // Reductions and the window blend.
        let t2: Vec<f64> = state.t.iter().enumerate().map(|(c, t)| r32(t + wave(c, 3.3))).collect();
        let t2b = ctx.storage("t2", &f32s(&t2)).unwrap();
        for mode in 0..8 {
            let got = air.reduce_read(&b.t, &t2b, mode, n).unwrap();
            let want = field_reduce(mode, &state.t, &t2, &d.open);
            assert!(
                (got - want).abs() <= 1e-5 * want.abs().max(1.0),
                "field_reduce mode {mode}: GPU {got} vs CPU {want}"
            );
        }
        // Non-finite entries are counted by their bits.
        let mut bad = state.t.clone();
        bad[3] = f64::NAN;
        bad[7] = f64::INFINITY;
        let bad_b = ctx.storage("bad", &f32s(&bad)).unwrap();
        let got = air.reduce_read(&bad_b, &bad_b, 7, n).unwrap();
        assert_eq!((got, field_reduce(7, &bad, &bad, &d.open)), (2.0, 2.0), "non-finite count");
        // β = 0 never reads x (here full of NaN).
        let z = GpuMean { u: b.uscr.clone(), t: t2b.clone() };
        air.blend(&z, 0.5, (&b.unew, &bad_b), 0.0).unwrap();
        let mut half = t2.clone();
        axpby(0.5, &mut half, 0.0, &bad);
        close("axpby with β = 0", &ctx.read::<f32>(&t2b, n).unwrap(), &half, 1e-6);
        ctx.queue.write_buffer(&t2b, 0, bytemuck::cast_slice(&f32s(&t2)));
        let mut y = state.t.clone();
        axpby(0.25, &mut y, 2.0, &t2);
        let mean = GpuMean { u: b.uscr.clone(), t: b.t.clone() };
        air.blend(&mean, 0.25, (&b.unew, &t2b), 2.0).unwrap();
        close("axpby", &ctx.read::<f32>(&b.t, n).unwrap(), &y, 1e-6);
    }
}
