//! XDMF sidecar (`OUT.xmf` next to `OUT.h5`) so ParaView (and VTK's XDMF readers) open
//! the fields directly:
//! - a co-rectilinear 3-D mesh in metres, origin 0, spacing dx; a 2-D result is one
//!   layer of cells in the XY plane (its thickness is the slab's), so that x is east and
//!   y north as on the floor plan, never the YZ plane;
//! - cell-centred `T`, `k`, `q`, `h`, `material` and, with an airflow model, the
//!   velocity as one vector attribute `velocity` (m/s; u_z = 0 on 2-D grids);
//! - a scenario's snapshots as a temporal collection (one grid per snapshot, `Time` in
//!   s), which ParaView plays as an animation.
//!
//! XDMF orders every triple z, y, x (slowest first), as the HDF5 arrays are.

use crate::grid::Grid;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What the sidecar describes.
pub struct Sidecar<'a> {
    pub grid: &'a Grid,
    /// The grid's name in ParaView (the facility's name).
    pub name: &'a str,
    /// `/thermal/material` exists.
    pub material: bool,
    /// `/airflow/u_x`, `u_y` (and `u_z` in 3-D) exist.
    pub velocity: bool,
    /// Times of `/thermal/snapshots/T`'s frames, s (empty: a steady result).
    pub snapshot_time_s: &'a [f64],
}

/// Path of the sidecar for a results file.
pub fn sidecar_path(h5: &Path) -> PathBuf {
    h5.with_extension("xmf")
}

/// Cells along z, y, x: a 2-D grid is one layer.
fn cells_zyx(g: &Grid) -> [usize; 3] {
    [g.nz.max(1), g.ny, g.nx]
}

fn item_hdf(o: &mut String, pad: &str, h5: &str, path: &str, dims: &str, ty: &str, prec: u32) {
    let _ = writeln!(
        o,
        "{pad}<DataItem Format=\"HDF\" Dimensions=\"{dims}\" NumberType=\"{ty}\" Precision=\"{prec}\">{h5}:{path}</DataItem>"
    );
}

/// Topology, geometry and the fields of one grid (`t_item`: how T is read).
fn uniform_grid(o: &mut String, s: &Sidecar, h5: &str, name: &str, time: Option<f64>, t_item: &dyn Fn(&mut String)) {
    let g = s.grid;
    let [cz, cy, cx] = cells_zyx(g);
    let cells = format!("{cz} {cy} {cx}");
    // A 2-D cell stands for a slab `slab_m` thick.
    let dz = if g.is_3d() { g.dx } else { g.slab_m };
    let _ = writeln!(o, "    <Grid Name=\"{}\" GridType=\"Uniform\">", xml_escape(name));
    if let Some(t) = time {
        let _ = writeln!(o, "      <Time Value=\"{t}\"/>");
    }
    let _ =
        writeln!(o, "      <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"{} {} {}\"/>", cz + 1, cy + 1, cx + 1);
    let _ = writeln!(o, "      <Geometry GeometryType=\"ORIGIN_DXDYDZ\">");
    let _ = writeln!(
        o,
        "        <DataItem Format=\"XML\" Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\">0 0 0</DataItem>"
    );
    let _ = writeln!(
        o,
        "        <DataItem Format=\"XML\" Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\">{dz} {0} {0}</DataItem>",
        g.dx
    );
    let _ = writeln!(o, "      </Geometry>");
    let _ = writeln!(o, "      <Attribute Name=\"T\" AttributeType=\"Scalar\" Center=\"Cell\">");
    t_item(o);
    let _ = writeln!(o, "      </Attribute>");
    let mut fields =
        vec![("k", "/thermal/k", "Float", 8), ("q", "/thermal/q", "Float", 8), ("h", "/thermal/h", "Float", 8)];
    if s.material {
        fields.push(("material", "/thermal/material", "UChar", 1));
    }
    for (attr, path, ty, prec) in fields {
        let _ = writeln!(o, "      <Attribute Name=\"{attr}\" AttributeType=\"Scalar\" Center=\"Cell\">");
        item_hdf(o, "        ", h5, path, &cells, ty, prec);
        let _ = writeln!(o, "      </Attribute>");
    }
    if s.velocity {
        let _ = writeln!(o, "      <Attribute Name=\"velocity\" AttributeType=\"Vector\" Center=\"Cell\">");
        // JOIN interleaves the components; on a 2-D grid the third is 0 · u_y.
        let f = if g.is_3d() { "JOIN($0, $1, $2)" } else { "JOIN($0, $1, 0 * $1)" };
        let _ = writeln!(o, "        <DataItem ItemType=\"Function\" Function=\"{f}\" Dimensions=\"{cells} 3\">");
        item_hdf(o, "          ", h5, "/airflow/u_x", &cells, "Float", 8);
        item_hdf(o, "          ", h5, "/airflow/u_y", &cells, "Float", 8);
        if g.is_3d() {
            item_hdf(o, "          ", h5, "/airflow/u_z", &cells, "Float", 8);
        }
        let _ = writeln!(o, "        </DataItem>");
        let _ = writeln!(o, "      </Attribute>");
    }
    let _ = writeln!(o, "    </Grid>");
}

/// The XDMF text for a results file `h5_name` (relative name).
pub fn xdmf_text(h5_name: &str, s: &Sidecar) -> String {
    let h5 = xml_escape(h5_name);
    let [cz, cy, cx] = cells_zyx(s.grid);
    let cells = format!("{cz} {cy} {cx}");
    let mut o = String::new();
    let _ = writeln!(o, "<?xml version=\"1.0\" ?>");
    let _ = writeln!(o, "<Xdmf Version=\"2.0\">\n  <Domain>");
    if s.snapshot_time_s.is_empty() {
        uniform_grid(&mut o, s, &h5, s.name, None, &|o| item_hdf(o, "        ", &h5, "/thermal/T", &cells, "Float", 8));
    } else {
        let frames = s.snapshot_time_s.len();
        let _ =
            writeln!(o, "  <Grid Name=\"{}\" GridType=\"Collection\" CollectionType=\"Temporal\">", xml_escape(s.name));
        for (k, &t) in s.snapshot_time_s.iter().enumerate() {
            // Frame k of /thermal/snapshots/T (frames, [nz,] ny, nx), f32.
            let (start, stride, count, whole) = if s.grid.is_3d() {
                (format!("{k} 0 0 0"), "1 1 1 1", format!("1 {cz} {cy} {cx}"), format!("{frames} {cz} {cy} {cx}"))
            } else {
                (format!("{k} 0 0"), "1 1 1", format!("1 {cy} {cx}"), format!("{frames} {cy} {cx}"))
            };
            let rank = if s.grid.is_3d() { 4 } else { 3 };
            let t_item = |o: &mut String| {
                let _ =
                    writeln!(o, "        <DataItem ItemType=\"HyperSlab\" Dimensions=\"{cells}\" Type=\"HyperSlab\">");
                let _ = writeln!(
                    o,
                    "          <DataItem Dimensions=\"3 {rank}\" Format=\"XML\">{start} {stride} {count}</DataItem>"
                );
                item_hdf(o, "          ", &h5, "/thermal/snapshots/T", &whole, "Float", 4);
                let _ = writeln!(o, "        </DataItem>");
            };
            uniform_grid(&mut o, s, &h5, &format!("{} t={t} s", s.name), Some(t), &t_item);
        }
        let _ = writeln!(o, "  </Grid>");
    }
    let _ = writeln!(o, "  </Domain>\n</Xdmf>");
    o
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Write the sidecar of `h5` atomically.
pub fn write_sidecar(h5: &Path, s: &Sidecar) -> Result<(), String> {
    let file_name = h5.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    super::h5util::write_file_atomic(&sidecar_path(h5), xdmf_text(&file_name, s).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_d_is_one_layer_in_the_xy_plane() {
        let g = Grid::new_2d(20, 10, 0.5, 3.0);
        let s = Sidecar { grid: &g, name: "a<b", material: true, velocity: true, snapshot_time_s: &[] };
        let t = xdmf_text("r.h5", &s);
        assert!(t.contains("TopologyType=\"3DCoRectMesh\" Dimensions=\"2 11 21\""), "{t}");
        assert!(t.contains(">3 0.5 0.5</DataItem>"), "slab thickness along z: {t}");
        assert!(t.contains("Dimensions=\"1 10 20\" NumberType=\"Float\" Precision=\"8\">r.h5:/thermal/T<"), "{t}");
        assert!(t.contains("AttributeType=\"Vector\"") && t.contains("JOIN($0, $1, 0 * $1)"), "{t}");
        assert!(t.contains("a&lt;b"));
    }

    #[test]
    fn snapshots_are_a_temporal_collection() {
        let g = Grid::new_3d(4, 3, 2, 0.2);
        let s = Sidecar { grid: &g, name: "s", material: false, velocity: false, snapshot_time_s: &[0.0, 30.0] };
        let t = xdmf_text("r.h5", &s);
        assert!(t.contains("CollectionType=\"Temporal\""));
        assert_eq!(t.matches("<Time Value=").count(), 2);
        assert!(t.contains("<Time Value=\"30\"/>"));
        assert!(t.contains(">1 0 0 0 1 1 1 1 1 2 3 4</DataItem>"), "{t}");
        assert!(t.contains("Dimensions=\"2 2 3 4\" NumberType=\"Float\" Precision=\"4\">r.h5:/thermal/snapshots/T<"));
    }
}
