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

    /// Encode as PNG.
    pub fn write_png(&self, path: &Path) -> Result<(), String> {
        let mut bytes = Vec::new();
        let mut enc = png::Encoder::new(&mut bytes, self.w as u32, self.h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let data: Vec<u8> = self.px.iter().flatten().copied().collect();
        enc.write_header()
            .and_then(|mut w| w.write_image_data(&data).and_then(|_| w.finish()))
            .map_err(|e| format!("encoding {}: {e}", path.display()))?;
        super::h5util::write_file_atomic(path, &bytes)
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

/// Render `/thermal/T` of a results file to a PNG; for a transient scenario also one
/// PNG per snapshot (`<stem>_000.png`, …), all on the same colour scale.
pub fn render_results(h5: &Path, png_out: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let f = hdf5::File::open(h5).map_err(|e| format!("cannot open {}: {e}", h5.display()))?;
    let t = f.dataset("thermal/T").map_err(|_| format!("{} has no /thermal/T", h5.display()))?;
    let shape = t.shape();
    let data = t.read_raw::<f64>().map_err(|e| e.to_string())?;
    let mat = f.dataset("thermal/material").ok().and_then(|d| d.read_raw::<u8>().ok());
    let dx =
        f.group("grid").ok().and_then(|g| g.attr("dx").ok()).and_then(|a| a.read_scalar::<f64>().ok()).unwrap_or(1.0);
    let name = read_attr_str(&f, "facility_name").unwrap_or_else(|| h5.display().to_string());
    let (nx, ny, layer) = match shape.as_slice() {
        [ny, nx] => (*nx, *ny, 0),
        [nz, ny, nx] => (*nx, *ny, ((1.0 / dx - 0.5).round().max(0.0) as usize).min(nz - 1)),
        _ => return Err(format!("/thermal/T has shape {shape:?}")),
    };
    let plane = nx * ny;
    let cells: usize = shape.iter().product();
    let off = layer * plane;
    let mat = mat.map(|m| m[off..off + plane].to_vec());
    let snaps = f.dataset("thermal/snapshots/T").ok().and_then(|d| d.read_raw::<f32>().ok());
    let times = f.dataset("thermal/snapshots/time_s").ok().and_then(|d| d.read_raw::<f64>().ok());
    let mut fields: Vec<(Vec<f64>, String)> = vec![(data[off..off + plane].to_vec(), String::new())];
    if let (Some(sn), Some(ts)) = (&snaps, &times) {
        for (k, t) in ts.iter().enumerate() {
            let fr: Vec<f64> = sn[k * cells + off..k * cells + off + plane].iter().map(|&v| v as f64).collect();
            fields.push((fr, format!(", t = {t:.0} s")));
        }
    }
    let (lo, hi) = fields
        .iter()
        .flat_map(|(v, _)| v.iter())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let what = if shape.len() == 3 {
        format!(" — temperature at {:.2} m", (layer as f64 + 0.5) * dx)
    } else {
        " — temperature".to_string()
    };
    let mut written = Vec::new();
    for (k, (field, when)) in fields.iter().enumerate() {
        let path = if k == 0 {
            png_out.to_path_buf()
        } else {
            let stem = png_out.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "frame".into());
            png_out.with_file_name(format!("{stem}_{:03}.png", k - 1))
        };
        draw(&format!("{name}{what}{when}"), field, mat.as_deref(), nx, ny, dx, lo, hi, &path)?;
        written.push(path);
    }
    Ok(written)
}

/// Draw one temperature plane.
#[allow(clippy::too_many_arguments)]
fn draw(
    title: &str,
    field: &[f64],
    mat: Option<&[u8]>,
    nx: usize,
    ny: usize,
    dx: f64,
    lo: f64,
    hi: f64,
    png_out: &Path,
) -> Result<(), String> {
    let span = if hi > lo { hi - lo } else { 1.0 };
    // Fit the floor in about 1200 × 800 pixels.
    let scale = (1200.0 / nx as f64).min(800.0 / ny as f64);
    let (mw, mh) = (((nx as f64 * scale).round() as usize).max(1), ((ny as f64 * scale).round() as usize).max(1));
    let (left, top, bar_w, right) = (20usize, 56usize, 24usize, 110usize);
    let width = (left + mw + right).max(Image::text_width(20.0, title).ceil() as usize + 2 * left);
    let mut img = Image::new(width, top + mh + 30, [255, 255, 255]);
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
    img.text(left as f32, 30.0, 20.0, title, [0, 0, 0]);
    img.text(
        left as f32,
        (top + mh + 22) as f32,
        13.0,
        &format!("{:.1} m × {:.1} m · {lo:.1}–{hi:.1} °C", nx as f64 * dx, ny as f64 * dx),
        [60, 60, 60],
    );
    img.write_png(png_out)
}
