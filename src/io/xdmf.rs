//! XDMF sidecar (`OUT.xmf` next to `OUT.h5`) so ParaView opens the fields directly:
//! a co-rectilinear mesh (origin 0, spacing dx) with cell-centred `T`, `k`, `q`, `h`,
//! `material` and (airflow model) `u_x`, `u_y`, `u_z` read from the HDF5 file.

use crate::grid::Grid;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Path of the sidecar for a results file.
pub fn sidecar_path(h5: &Path) -> PathBuf {
    h5.with_extension("xmf")
}

/// The XDMF text for a results file `h5_name` (relative name) on grid `g`.
pub fn xdmf_text(h5_name: &str, g: &Grid, name: &str, with_material: bool, with_velocity: bool) -> String {
    let (topo, geo, nodes, cells, origin, spacing) = if g.is_3d() {
        (
            "3DCoRectMesh",
            "ORIGIN_DXDYDZ",
            format!("{} {} {}", g.nz + 1, g.ny + 1, g.nx + 1),
            format!("{} {} {}", g.nz, g.ny, g.nx),
            "0 0 0".to_string(),
            format!("{0} {0} {0}", g.dx),
        )
    } else {
        (
            "2DCoRectMesh",
            "ORIGIN_DXDY",
            format!("{} {}", g.ny + 1, g.nx + 1),
            format!("{} {}", g.ny, g.nx),
            "0 0".to_string(),
            format!("{0} {0}", g.dx),
        )
    };
    let n = if g.is_3d() { 3 } else { 2 };
    let mut o = String::new();
    let _ = writeln!(o, "<?xml version=\"1.0\" ?>");
    let _ = writeln!(
        o,
        "<Xdmf Version=\"3.0\">\n  <Domain>\n    <Grid Name=\"{}\" GridType=\"Uniform\">",
        xml_escape(name)
    );
    let _ = writeln!(o, "      <Topology TopologyType=\"{topo}\" Dimensions=\"{nodes}\"/>");
    let _ = writeln!(o, "      <Geometry GeometryType=\"{geo}\">");
    let _ = writeln!(
        o,
        "        <DataItem Format=\"XML\" Dimensions=\"{n}\" NumberType=\"Float\" Precision=\"8\">{origin}</DataItem>"
    );
    let _ = writeln!(
        o,
        "        <DataItem Format=\"XML\" Dimensions=\"{n}\" NumberType=\"Float\" Precision=\"8\">{spacing}</DataItem>"
    );
    let _ = writeln!(o, "      </Geometry>");
    let mut fields = vec![
        ("T", "/thermal/T", "Float", 8),
        ("k", "/thermal/k", "Float", 8),
        ("q", "/thermal/q", "Float", 8),
        ("h", "/thermal/h", "Float", 8),
    ];
    if with_material {
        fields.push(("material", "/thermal/material", "UChar", 1));
    }
    if with_velocity {
        fields.push(("u_x", "/airflow/u_x", "Float", 8));
        fields.push(("u_y", "/airflow/u_y", "Float", 8));
        if g.is_3d() {
            fields.push(("u_z", "/airflow/u_z", "Float", 8));
        }
    }
    for (attr, path, ty, prec) in fields {
        let _ = writeln!(o, "      <Attribute Name=\"{attr}\" AttributeType=\"Scalar\" Center=\"Cell\">");
        let _ = writeln!(o, "        <DataItem Format=\"HDF\" Dimensions=\"{cells}\" NumberType=\"{ty}\" Precision=\"{prec}\">{}:{path}</DataItem>", xml_escape(h5_name));
        let _ = writeln!(o, "      </Attribute>");
    }
    let _ = writeln!(o, "    </Grid>\n  </Domain>\n</Xdmf>");
    o
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Write the sidecar of `h5` atomically.
pub fn write_sidecar(h5: &Path, g: &Grid, name: &str, with_material: bool, with_velocity: bool) -> Result<(), String> {
    let file_name = h5.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let text = xdmf_text(&file_name, g, name, with_material, with_velocity);
    super::h5util::write_file_atomic(&sidecar_path(h5), text.as_bytes())
}
