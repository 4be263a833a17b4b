//! Heat-map pictures of a results file: the floor's temperature (for 3-D, the layer at
//! ≈ 1 m above the floor, rack-intake height), rack, cooling-unit and obstacle outlines,
//! a colour bar labelled in °C, and a title with the facility's name.

use super::h5util::read_attr_str;
use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use std::path::Path;

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// An RGB image.
pub struct Image {
    pub w: usize,
    pub h: usize,
    pub px: Vec<[u8; 3]>,
}

impl Image {
    fn new(w: usize, h: usize, bg: [u8; 3]) -> Self {
        Image { w, h, px: vec![bg; w * h] }
    }
    fn set(&mut self, x: usize, y: usize, c: [u8; 3]) {
        if x < self.w && y < self.h {
            self.px[y * self.w + x] = c;
        }
    }
    fn blend(&mut self, x: i64, y: i64, c: [u8; 3], a: f32) {
        if x < 0 || y < 0 || x as usize >= self.w || y as usize >= self.h {
            return;
        }
        let p = &mut self.px[y as usize * self.w + x as usize];
        for k in 0..3 {
            p[k] = (p[k] as f32 * (1.0 - a) + c[k] as f32 * a).round() as u8;
        }
    }
    /// Draw `text` with its baseline-left at (x, y), `size` px high; returns its width.
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str, c: [u8; 3]) -> f32 {
        let font = FontRef::try_from_slice(FONT).expect("embedded font");
        let sf = font.as_scaled(PxScale::from(size));
        let mut pen = x;
        for ch in text.chars() {
            let id = sf.glyph_id(ch);
            let g = id.with_scale_and_position(PxScale::from(size), ab_glyph::point(pen, y));
            if let Some(o) = font.outline_glyph(g) {
                let b = o.px_bounds();
                o.draw(|gx, gy, cov| self.blend(b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64, c, cov));
            }
            pen += sf.h_advance(id);
        }
        pen - x
    }
    /// Width of `text` at `size` px, without drawing.
    pub fn text_width(size: f32, text: &str) -> f32 {
        let font = FontRef::try_from_slice(FONT).expect("embedded font");
        let sf = font.as_scaled(PxScale::from(size));
        text.chars().map(|c| sf.h_advance(sf.glyph_id(c))).sum()
    }

    /// Encode as PNG into a file.
    pub fn write_png(&self, path: &Path) -> Result<(), String> {
        let bytes = self.png_bytes().map_err(|e| format!("encoding {}: {e}", path.display()))?;
        super::h5util::write_file_atomic(path, &bytes)
    }

    /// Encode as PNG.
    pub fn png_bytes(&self) -> Result<Vec<u8>, String> {
        let mut bytes = Vec::new();
        let mut enc = png::Encoder::new(&mut bytes, self.w as u32, self.h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let data: Vec<u8> = self.px.iter().flatten().copied().collect();
        enc.write_header()
            .and_then(|mut w| w.write_image_data(&data).and_then(|_| w.finish()))
            .map_err(|e| e.to_string())?;
        Ok(bytes)
    }
}

/// A perceptually ordered colour map (dark blue → cyan → yellow → dark red), t in [0, 1].
pub fn colour(t: f64) -> [u8; 3] {
    const STOPS: [(f64, [f64; 3]); 6] = [
        (0.0, [48.0, 18.0, 59.0]),
        (0.2, [70.0, 134.0, 251.0]),
        (0.4, [27.0, 229.0, 181.0]),
        (0.6, [164.0, 252.0, 60.0]),
        (0.8, [251.0, 185.0, 56.0]),
        (1.0, [122.0, 4.0, 3.0]),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let i = STOPS.iter().position(|s| s.0 >= t).unwrap_or(STOPS.len() - 1).max(1);
    let (a, b) = (STOPS[i - 1], STOPS[i]);
    let u = (t - a.0) / (b.0 - a.0);
    let mut c = [0u8; 3];
    for k in 0..3 {
        c[k] = (a.1[k] + (b.1[k] - a.1[k]) * u).round() as u8;
    }
    c
}

/// Most snapshot pictures one `render` draws.
pub const MAX_FRAMES: usize = 10_000;
/// Longest title drawn, in characters (the rest is cut with an ellipsis).
const MAX_TITLE_CHARS: usize = 120;

/// A dataset of the results file, its shape and type checked before it is read.
struct Checked {
    shape: Vec<usize>,
    values: usize,
}

fn check_dataset(h5: &Path, ds: &hdf5::Dataset, name: &str, want_int: bool) -> Result<Checked, String> {
    use hdf5::types::TypeDescriptor as T;
    let shape = ds.shape();
    let ty = ds
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map_err(|e| format!("{name} in {}: unreadable type: {e}", h5.display()))?;
    let ok = match ty {
        T::Integer(_) | T::Unsigned(_) => true,
        T::Float(_) => !want_int,
        _ => false,
    };
    if !ok {
        let want = if want_int { "integers" } else { "numbers" };
        return Err(format!("{name} in {} holds {ty}, not {want}", h5.display()));
    }
    let values: u128 = shape.iter().map(|&s| s as u128).product();
    // Each value is read as f64 (8 B) and drawn from; keep well inside the memory.
    let avail = crate::facility::available_memory_bytes() as u128;
    if values.saturating_mul(16) > avail {
        return Err(format!(
            "{name} in {} declares {shape:?} = {values} values, about {:.1} GiB to read, more than the {:.1} GiB available",
            h5.display(),
            (values * 16) as f64 / (1u64 << 30) as f64,
            avail as f64 / (1u64 << 30) as f64
        ));
    }
    if values > 0 && ds.storage_size() == 0 {
        return Err(format!("{name} in {} declares {values} values but holds no data", h5.display()));
    }
    Ok(Checked { shape, values: values as usize })
}

/// The first value that is not a finite number, as an error naming where it is.
fn finite(h5: &Path, name: &str, v: &[f64]) -> Result<(), String> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(format!("{name} in {} has {} at index {i}: not a temperature", h5.display(), v[i])),
        None => Ok(()),
    }
}

/// Render `/thermal/T` of a results file to a PNG; for a transient scenario also one
/// PNG per snapshot (`<stem>_000.png`, …), all on the same colour scale.
///
/// Everything is checked before the first picture is written: `/thermal/T` 2-D or 3-D
/// numbers, finite; `/thermal/material` (optional) integers of the same shape;
/// `/grid` `dx` (optional, default 1 m) a finite size > 0; snapshots `(frames, …T's
/// shape)` with `time_s` of `frames` finite times. On any error after that, the pictures
/// already written are removed.
/// The floor plane a picture shows, read and checked from a results file.
pub struct FloorPlane {
    /// Temperature of the plane, °C (row-major, y then x).
    pub t: Vec<f64>,
    /// Material ids of the plane, when the file has them.
    pub material: Option<Vec<u8>>,
    pub nx: usize,
    pub ny: usize,
    /// Cell size, m.
    pub dx: f64,
    /// The facility's name (or the file's).
    pub name: String,
    /// " — temperature" or " — temperature at 1.10 m".
    pub what: String,
    /// /thermal/T's shape, its cell count, and where the plane starts in it.
    shape: Vec<usize>,
    cells: usize,
    off: usize,
}

/// Read the plane [`render_results`] draws (3-D: the layer ≈ 1 m up) from `h5`.
pub fn floor_plane(h5: &Path) -> Result<FloorPlane, String> {
    let f = super::h5util::open(h5).map_err(|e| format!("cannot open {}: {e}", h5.display()))?;
    floor_plane_of(h5, &f, Layer::Default).map_err(|e| e.to_string())
}

/// Which horizontal layer of a 3-D result a picture shows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Layer {
    /// The layer whose centre is nearest 1 m above the floor (rack-intake height).
    #[default]
    Default,
    /// Layer `k`, 0-based from the floor.
    Index(usize),
    /// The layer containing this height above the floor, m.
    Height(f64),
}

/// What `render` draws besides the heat map; the default is [`render_results`]'s picture.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// Colour scale, °C (min < max, both finite); `None`: the range of the values drawn.
    pub range: Option<(f64, f64)>,
    /// The layer of a 3-D result.
    pub layer: Layer,
    /// Draw each rack's id at the rack (from `/racks/{id, x_m, y_m}`).
    pub labels: bool,
    /// Tick marks and labels in metres along x and y.
    pub axes: bool,
}

/// Why a picture was not drawn: the file (not a results file, damaged), or an option
/// that does not fit it (a layer beyond the grid, an output that is not a PNG).
#[derive(Clone, Debug, PartialEq)]
pub enum RenderError {
    File(String),
    Option { flag: &'static str, message: String, fix: String },
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::File(m) => write!(f, "{m}"),
            RenderError::Option { flag, message, fix } => write!(f, "{flag}: {message} (fix: {fix})"),
        }
    }
}

impl From<String> for RenderError {
    fn from(m: String) -> Self {
        RenderError::File(m)
    }
}

fn bad_option(flag: &'static str, message: String, fix: impl Into<String>) -> RenderError {
    RenderError::Option { flag, message, fix: fix.into() }
}

/// The picture formats `render` writes, chosen by the output's extension: PNG only.
/// Anything else is refused, never written as PNG bytes under another name.
pub fn check_output_format(out: &Path) -> Result<(), RenderError> {
    match out.extension().map(|e| e.to_string_lossy().to_lowercase()).as_deref() {
        Some("png") => Ok(()),
        other => Err(bad_option(
            "-o",
            match other {
                Some(ext) => format!("{} asks for .{ext}, a format render cannot write (it writes PNG)", out.display()),
                None => format!("{} has no extension to choose a format by (render writes PNG)", out.display()),
            },
            "give an output path ending in .png",
        )),
    }
}

/// The layer a choice picks in a grid of `nz` layers of `dx` m.
fn pick_layer(layer: Layer, nz: Option<usize>, dx: f64) -> Result<usize, RenderError> {
    let Some(nz) = nz else {
        return match layer {
            Layer::Default | Layer::Index(0) => Ok(0),
            Layer::Index(k) => Err(bad_option(
                "--layer",
                format!("{k} is beyond the result, which is 2-D (one layer)"),
                "give --layer 0, or leave it out",
            )),
            Layer::Height(h) => Err(bad_option(
                "--height-m",
                format!("{h} m: the result is 2-D, with no heights"),
                "leave --height-m out for a 2-D result",
            )),
        };
    };
    match layer {
        Layer::Default => Ok(((1.0 / dx - 0.5).round().max(0.0) as usize).min(nz - 1)),
        Layer::Index(k) if k < nz => Ok(k),
        Layer::Index(k) => Err(bad_option(
            "--layer",
            format!("{k} is beyond the grid's {nz} layers"),
            format!("give a layer from 0 to {}", nz - 1),
        )),
        Layer::Height(h) => {
            let top = nz as f64 * dx;
            if h.is_finite() && (0.0..=top).contains(&h) {
                Ok(((h / dx).floor() as usize).min(nz - 1))
            } else {
                Err(bad_option(
                    "--height-m",
                    format!("{h} m is outside the grid, 0 to {top} m above the floor"),
                    format!("give a height from 0 to {top} m"),
                ))
            }
        }
    }
}

fn floor_plane_of(h5: &Path, f: &hdf5::File, layer: Layer) -> Result<FloorPlane, RenderError> {
    let t = f.dataset("thermal/T").map_err(|_| format!("{} has no dataset /thermal/T", h5.display()))?;
    let tc = check_dataset(h5, &t, "/thermal/T", false)?;
    let shape = tc.shape.clone();
    if !(shape.len() == 2 || shape.len() == 3) || shape.iter().any(|&n| n == 0) {
        return Err(RenderError::File(format!(
            "/thermal/T in {} has shape {shape:?}, not (ny, nx) or (nz, ny, nx)",
            h5.display()
        )));
    }
    let data = t.read_raw::<f64>().map_err(|e| format!("/thermal/T in {}: {e}", h5.display()))?;
    if data.len() != tc.values {
        return Err(RenderError::File(format!(
            "/thermal/T in {} holds {} values for shape {shape:?}",
            h5.display(),
            data.len()
        )));
    }
    finite(h5, "/thermal/T", &data)?;
    let cells = tc.values;
    let mat = match f.link_exists("thermal/material") {
        false => None,
        true => {
            let d = f
                .dataset("thermal/material")
                .map_err(|_| format!("/thermal/material in {} is not a dataset", h5.display()))?;
            let mc = check_dataset(h5, &d, "/thermal/material", true)?;
            if mc.shape != shape {
                return Err(RenderError::File(format!(
                    "/thermal/material in {} has shape {:?} but /thermal/T has {shape:?}",
                    h5.display(),
                    mc.shape
                )));
            }
            let m = d.read_raw::<u8>().map_err(|e| format!("/thermal/material in {}: {e}", h5.display()))?;
            if m.len() != cells {
                return Err(RenderError::File(format!(
                    "/thermal/material in {} holds {} values for {cells} cells",
                    h5.display(),
                    m.len()
                )));
            }
            Some(m)
        }
    };
    let dx = match f.group("grid").ok().filter(|g| g.attr_names().map(|n| n.iter().any(|a| a == "dx")).unwrap_or(false))
    {
        None => 1.0,
        Some(g) => {
            let dx = g
                .attr("dx")
                .and_then(|a| a.read_scalar::<f64>())
                .map_err(|_| format!("/grid attribute dx in {} is not a number", h5.display()))?;
            if !(dx.is_finite() && dx > 0.0) {
                return Err(RenderError::File(format!(
                    "/grid attribute dx in {} is {dx}: not a cell size",
                    h5.display()
                )));
            }
            dx
        }
    };
    let mut name = read_attr_str(&f, "facility_name").unwrap_or_else(|| h5.display().to_string());
    name.retain(|c| !c.is_control());
    if name.chars().count() > MAX_TITLE_CHARS {
        name = name.chars().take(MAX_TITLE_CHARS - 1).collect::<String>() + "…";
    }
    let (nx, ny, layer) = match shape.as_slice() {
        [ny, nx] => (*nx, *ny, pick_layer(layer, None, dx)?),
        [nz, ny, nx] => (*nx, *ny, pick_layer(layer, Some(*nz), dx)?),
        _ => unreachable!("checked: 2-D or 3-D"),
    };
    let plane = nx * ny;
    let off = layer * plane;
    let mat = mat.map(|m| m[off..off + plane].to_vec());
    let what = if shape.len() == 3 {
        format!(" — temperature at {:.2} m", (layer as f64 + 0.5) * dx)
    } else {
        " — temperature".to_string()
    };
    Ok(FloorPlane { t: data[off..off + plane].to_vec(), material: mat, nx, ny, dx, name, what, cells, off, shape })
}

pub fn render_results(h5: &Path, png_out: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    render_with(h5, png_out, &RenderOptions::default()).map_err(|e| e.to_string())
}

/// [`render_results`] with options: a colour range, a layer, rack labels, metre axes.
/// The output's extension chooses the format ([`check_output_format`]: PNG only), and
/// every option is checked against the file before the first picture is written.
pub fn render_with(h5: &Path, png_out: &Path, opts: &RenderOptions) -> Result<Vec<std::path::PathBuf>, RenderError> {
    check_output_format(png_out)?;
    if let Some((lo, hi)) = opts.range {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(bad_option(
                "--range",
                format!("{lo}:{hi} is not a colour range"),
                "give MIN:MAX in °C, finite, with MIN < MAX, e.g. 20:35",
            ));
        }
    }
    let f = super::h5util::open(h5).map_err(|e| format!("cannot open {}: {e}", h5.display()))?;
    let p = floor_plane_of(h5, &f, opts.layer)?;
    let decor = Decor { labels: if opts.labels { rack_labels(h5, &f)? } else { Vec::new() }, axes: opts.axes };
    let (nx, ny, dx, off, cells) = (p.nx, p.ny, p.dx, p.off, p.cells);
    let (shape, name, mat, plane) = (p.shape.clone(), p.name.clone(), p.material.clone(), nx * ny);
    let mut fields: Vec<(Vec<f64>, String)> = vec![(p.t, String::new())];
    let (has_t, has_times) = (f.link_exists("thermal/snapshots/T"), f.link_exists("thermal/snapshots/time_s"));
    if has_t != has_times {
        return Err(RenderError::File(format!("/thermal/snapshots in {} needs both T and time_s", h5.display())));
    }
    if has_t {
        let bad = |what: &str| format!("/thermal/snapshots/{what} in {} is not a dataset", h5.display());
        let sd = f.dataset("thermal/snapshots/T").map_err(|_| bad("T"))?;
        let td = f.dataset("thermal/snapshots/time_s").map_err(|_| bad("time_s"))?;
        let tcheck = check_dataset(h5, &td, "/thermal/snapshots/time_s", false)?;
        let frames = match tcheck.shape.as_slice() {
            [n] => *n,
            s => {
                return Err(RenderError::File(format!(
                    "/thermal/snapshots/time_s in {} has shape {s:?}, not (frames,)",
                    h5.display()
                )))
            }
        };
        if frames > MAX_FRAMES {
            return Err(RenderError::File(format!(
                "{} holds {frames} snapshots; render draws at most {MAX_FRAMES} pictures",
                h5.display()
            )));
        }
        let scheck = check_dataset(h5, &sd, "/thermal/snapshots/T", false)?;
        let mut want = vec![frames];
        want.extend(&shape);
        if scheck.shape != want {
            return Err(RenderError::File(format!(
                "/thermal/snapshots/T in {} has shape {:?}, but {frames} times of /thermal/T's {shape:?} make {want:?}",
                h5.display(),
                scheck.shape
            )));
        }
        let ts = td.read_raw::<f64>().map_err(|e| format!("/thermal/snapshots/time_s in {}: {e}", h5.display()))?;
        if let Some(i) = ts.iter().position(|t| !t.is_finite()) {
            return Err(RenderError::File(format!(
                "/thermal/snapshots/time_s in {} has {} at index {i}: not a time",
                h5.display(),
                ts[i]
            )));
        }
        let sn = sd.read_raw::<f32>().map_err(|e| format!("/thermal/snapshots/T in {}: {e}", h5.display()))?;
        if sn.len() != frames * cells || ts.len() != frames {
            return Err(RenderError::File(format!(
                "/thermal/snapshots in {} holds fewer values than its shape",
                h5.display()
            )));
        }
        if let Some(i) = sn.iter().position(|v| !v.is_finite()) {
            return Err(RenderError::File(format!(
                "/thermal/snapshots/T in {} has {} at frame {}, cell {}: not a temperature",
                h5.display(),
                sn[i],
                i / cells,
                i % cells
            )));
        }
        for (k, t) in ts.iter().enumerate() {
            let fr: Vec<f64> = sn[k * cells + off..k * cells + off + plane].iter().map(|&v| v as f64).collect();
            finite(h5, &format!("/thermal/snapshots/T frame {k}"), &fr)?;
            fields.push((fr, format!(", t = {t:.0} s")));
        }
    }
    let (lo, hi) = opts.range.unwrap_or_else(|| {
        fields
            .iter()
            .flat_map(|(v, _)| v.iter())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)))
    });
    let what = p.what;
    let mut written = Vec::new();
    for (k, (field, when)) in fields.iter().enumerate() {
        let path = if k == 0 {
            png_out.to_path_buf()
        } else {
            let stem = png_out.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "frame".into());
            png_out.with_file_name(format!("{stem}_{:03}.png", k - 1))
        };
        let img = draw_image(
            &format!("{name}{what}{when}"),
            field,
            mat.as_deref(),
            nx,
            ny,
            dx,
            lo,
            hi,
            (1200.0, 800.0),
            &decor,
        );
        if let Err(e) = img.write_png(&path) {
            // Nothing half done: remove the pictures of this run.
            for w in &written {
                let _ = std::fs::remove_file(w);
            }
            return Err(e.into());
        }
        written.push(path);
    }
    Ok(written)
}

/// Most rack labels drawn (a larger hall's labels would cover the map).
const MAX_LABELS: usize = 5000;

/// The racks' ids and south-west corners (m) of a results file, for labels.
fn rack_labels(h5: &Path, f: &hdf5::File) -> Result<Vec<(String, f64, f64)>, RenderError> {
    let no_racks = || {
        bad_option(
            "--labels",
            format!("{} has no rack table (/racks/id, x_m, y_m) to label", h5.display()),
            "leave --labels out for a file without racks",
        )
    };
    let ids = f.dataset("racks/id").map_err(|_| no_racks())?;
    let (xd, yd) = (f.dataset("racks/x_m").map_err(|_| no_racks())?, f.dataset("racks/y_m").map_err(|_| no_racks())?);
    let n = ids.size();
    if n > MAX_LABELS {
        return Err(bad_option(
            "--labels",
            format!("{} has {n} racks; render labels at most {MAX_LABELS}", h5.display()),
            "leave --labels out",
        ));
    }
    let id: Vec<String> = match ids.read_raw::<hdf5::types::VarLenUnicode>() {
        Ok(v) => v.iter().map(|s| s.as_str().to_string()).collect(),
        Err(_) => ids
            .read_raw::<hdf5::types::VarLenAscii>()
            .map_err(|e| RenderError::File(format!("/racks/id in {}: {e}", h5.display())))?
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
    };
    check_dataset(h5, &xd, "/racks/x_m", false)?;
    check_dataset(h5, &yd, "/racks/y_m", false)?;
    let x = xd.read_raw::<f64>().map_err(|e| RenderError::File(format!("/racks/x_m in {}: {e}", h5.display())))?;
    let y = yd.read_raw::<f64>().map_err(|e| RenderError::File(format!("/racks/y_m in {}: {e}", h5.display())))?;
    if x.len() != id.len() || y.len() != id.len() {
        return Err(RenderError::File(format!(
            "/racks in {} has {} ids but {} x_m and {} y_m",
            h5.display(),
            id.len(),
            x.len(),
            y.len()
        )));
    }
    Ok(id
        .into_iter()
        .zip(x.into_iter().zip(y))
        .filter(|(_, (x, y))| x.is_finite() && y.is_finite())
        .map(|(mut id, (x, y))| {
            id.retain(|c| !c.is_control());
            if id.chars().count() > 24 {
                id = id.chars().take(23).collect::<String>() + "…";
            }
            (id, x, y)
        })
        .collect())
}

/// What a picture shows besides the heat map: rack labels and metre axes.
#[derive(Clone, Debug, Default)]
pub struct Decor {
    /// Rack ids and their south-west corners (x, y), m from the grid's origin.
    pub labels: Vec<(String, f64, f64)>,
    /// Tick marks and labels in metres along x (below the map) and y (left of it).
    pub axes: bool,
}

/// A tick spacing of 1, 2 or 5 × 10^k m giving about `want` ticks over `extent` m.
fn tick_step(extent: f64, want: f64) -> f64 {
    let raw = (extent / want).max(1e-9);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|&s| s >= raw).unwrap_or(10.0 * p)
}

/// A tick's label: as many decimals as the step needs.
fn tick_label(v: f64, step: f64) -> String {
    let dec = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    format!("{v:.dec$}")
}

/// Draw one temperature plane, the floor fitted in `fit` (width, height) pixels, on the
/// colour scale `lo`–`hi` °C, with `decor`'s rack labels and axes.
#[allow(clippy::too_many_arguments)]
pub fn draw_image(
    title: &str,
    field: &[f64],
    mat: Option<&[u8]>,
    nx: usize,
    ny: usize,
    dx: f64,
    lo: f64,
    hi: f64,
    fit: (f64, f64),
    decor: &Decor,
) -> Image {
    let span = if hi > lo { hi - lo } else { 1.0 };
    // Fit the floor in about `fit` pixels.
    let scale = (fit.0 / nx as f64).min(fit.1 / ny as f64);
    let (mw, mh) = (((nx as f64 * scale).round() as usize).max(1), ((ny as f64 * scale).round() as usize).max(1));
    // Axes take room left of the map (y labels) and below it (x labels).
    let (axis_l, axis_b) = if decor.axes { (44usize, 34usize) } else { (0, 0) };
    let (left, top, bar_w, right) = (20usize + axis_l, 56usize, 24usize, 110usize);
    let width = (left + mw + right).max(Image::text_width(20.0, title).ceil() as usize + 2 * left);
    let mut img = Image::new(width, top + mh + 30 + axis_b, [255, 255, 255]);
    let cell = |px: usize, py: usize| -> usize {
        let i = ((px as f64 + 0.5) / scale) as usize;
        // y up: row 0 of the image is the north wall.
        let j = ny - 1 - (((py as f64 + 0.5) / scale) as usize).min(ny - 1);
        j * nx + i.min(nx - 1)
    };
    for py in 0..mh {
        for px in 0..mw {
            let c = cell(px, py);
            let mut col = colour((field[c] - lo) / span);
            if let Some(m) = mat {
                // Outlines where the material changes: racks white, cooling cyan, obstacles grey.
                let edge = (px + 1 < mw && m[cell(px + 1, py)] != m[c]) || (py + 1 < mh && m[cell(px, py + 1)] != m[c]);
                if edge {
                    let k = if m[c] != 0 {
                        m[c]
                    } else {
                        m[cell((px + 1).min(mw - 1), py)].max(m[cell(px, (py + 1).min(mh - 1))])
                    };
                    col = match k {
                        1 => [255, 255, 255],
                        2 | 5 => [0, 255, 255],
                        3 => [120, 200, 255],
                        4 => [90, 90, 90],
                        _ => col,
                    };
                }
            }
            img.set(left + px, top + py, col);
        }
    }
    // Colour bar with labels.
    let bx = left + mw + 16;
    for py in 0..mh {
        let c = colour(1.0 - py as f64 / (mh.max(2) - 1) as f64);
        for px in 0..bar_w {
            img.set(bx + px, top + py, c);
        }
    }
    let ticks = 5;
    for i in 0..=ticks {
        let v = lo + span * i as f64 / ticks as f64;
        let y = top as f32 + (mh as f32 - 1.0) * (1.0 - i as f32 / ticks as f32);
        for px in 0..5 {
            img.set(bx + bar_w + px, y as usize, [0, 0, 0]);
        }
        img.text((bx + bar_w + 8) as f32, y + 5.0, 14.0, &format!("{v:.1}"), [0, 0, 0]);
    }
    img.text(bx as f32, (top - 8) as f32, 14.0, "°C", [0, 0, 0]);
    // Metres to pixels: x east from the map's left edge, y north from its bottom edge.
    let px_of = |x: f64| left as f64 + x / dx * scale;
    let py_of = |y: f64| (top + mh) as f64 - y / dx * scale;
    if decor.axes {
        let (w_m, h_m) = (nx as f64 * dx, ny as f64 * dx);
        let step = tick_step(w_m.max(h_m), 8.0);
        let mut k = 0.0;
        while k * step <= w_m + 1e-9 * step {
            let v = k * step;
            let x = px_of(v).round().min((left + mw - 1) as f64) as usize;
            for d in 0..6 {
                img.set(x, top + mh + d, [0, 0, 0]);
            }
            let label = tick_label(v, step);
            let lw = Image::text_width(12.0, &label);
            img.text(x as f32 - lw / 2.0, (top + mh + 19) as f32, 12.0, &label, [0, 0, 0]);
            k += 1.0;
        }
        k = 0.0;
        while k * step <= h_m + 1e-9 * step {
            let v = k * step;
            let y = py_of(v).round().clamp(top as f64, (top + mh - 1) as f64) as usize;
            for d in 1..=6 {
                img.set(left - d, y, [0, 0, 0]);
            }
            let label = tick_label(v, step);
            let lw = Image::text_width(12.0, &label);
            img.text(left as f32 - 9.0 - lw, y as f32 + 4.0, 12.0, &label, [0, 0, 0]);
            k += 1.0;
        }
        img.text((left + mw) as f32 - 24.0, (top + mh + 33) as f32, 12.0, "x, m", [0, 0, 0]);
        img.text(4.0, (top - 8) as f32, 12.0, "y, m", [0, 0, 0]);
    }
    // Rack ids at the racks' south-west corners, dark on a light box.
    for (id, x, y) in &decor.labels {
        let (x0, y0) = ((px_of(*x) + 2.0) as f32, (py_of(*y) - 3.0) as f32);
        let size = 11.0f32;
        let w = Image::text_width(size, id);
        for py in (y0 - size).floor() as i64..=(y0 + 2.0).ceil() as i64 {
            for px in (x0 - 1.0).floor() as i64..=(x0 + w + 1.0).ceil() as i64 {
                if px >= left as i64 && px < (left + mw) as i64 && py >= top as i64 && py < (top + mh) as i64 {
                    img.blend(px, py, [255, 255, 255], 0.7);
                }
            }
        }
        img.text(x0, y0, size, id, [0, 0, 0]);
    }
    img.text(left as f32, 30.0, 20.0, title, [0, 0, 0]);
    img.text(
        left as f32,
        (top + mh + 22 + axis_b) as f32,
        13.0,
        &format!("{:.1} m × {:.1} m · {lo:.1}–{hi:.1} °C", nx as f64 * dx, ny as f64 * dx),
        [60, 60, 60],
    );
    img
}
