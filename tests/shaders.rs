//! Every WGSL file in shaders/ parses and validates with naga (no GPU needed), and the
//! Rust uniform structs match the WGSL ones in size and field offsets.

use std::path::{Path, PathBuf};

fn wgsl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            wgsl_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "wgsl") {
            out.push(p);
        }
    }
}

/// A kernel with its `// import:` lines resolved from the files in shaders/.
fn composed(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let src = std::fs::read_to_string(path).unwrap();
    thermogrid::gpu::compose_wgsl(&src, |n| std::fs::read_to_string(root.join(n)).ok())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn module(path: &Path) -> naga::Module {
    let src = composed(path);
    naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| panic!("{}: {}", path.display(), e.emit_to_string(&src)))
}

#[test]
fn every_shader_parses_and_validates() {
    let mut files = Vec::new();
    wgsl_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders"), &mut files);
    assert!(!files.is_empty(), "no shaders found");
    // Shared files are validated as part of the kernels that import them.
    files.retain(|f| !f.components().any(|c| c.as_os_str() == "shared"));
    for f in &files {
        let m = module(f);
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
            .validate(&m)
            .unwrap_or_else(|e| panic!("{}: {e:?}", f.display()));
        // One kernel per file, named like the file.
        let stem = f.file_stem().unwrap().to_str().unwrap();
        assert_eq!(m.entry_points.len(), 1, "{}", f.display());
        assert_eq!(m.entry_points[0].name, stem, "{}: the kernel must be named like its file", f.display());
    }
}

/// Size and member offsets of a WGSL struct, per naga's layouter.
fn layout(path: &str, name: &str) -> (u32, Vec<(String, u32)>) {
    let m = module(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path));
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(m.to_ctx()).unwrap();
    for (h, ty) in m.types.iter() {
        if ty.name.as_deref() == Some(name) {
            if let naga::TypeInner::Struct { members, span } = &ty.inner {
                return (*span, members.iter().map(|mb| (mb.name.clone().unwrap_or_default(), mb.offset)).collect());
            }
            let _ = h;
        }
    }
    panic!("{name} not in {path}");
}

#[test]
fn uniform_structs_match_rust() {
    use std::mem::{offset_of, size_of};
    use thermogrid::power::gpu::{GemmDims, N1Params};
    for file in ["shaders/power/n1_screen.wgsl", "shaders/power/n1_flows.wgsl"] {
        let (size, m) = layout(file, "N1Params");
        assert_eq!(size as usize, size_of::<N1Params>(), "{file}");
        let rust = [
            ("nl", offset_of!(N1Params, nl)),
            ("n_out", offset_of!(N1Params, n_out)),
            ("groups_x", offset_of!(N1Params, groups_x)),
            ("pad0", offset_of!(N1Params, pad0)),
        ];
        for ((wn, wo), (rn, ro)) in m.iter().zip(rust) {
            assert_eq!((wn.as_str(), *wo as usize), (rn, ro), "{file}");
        }
    }
    let (size, m) = layout("shaders/power/ptdf_gemm.wgsl", "GemmDims");
    assert_eq!(size as usize, size_of::<GemmDims>());
    let rust = [
        ("m", offset_of!(GemmDims, m)),
        ("n", offset_of!(GemmDims, n)),
        ("k", offset_of!(GemmDims, k)),
        ("pad0", offset_of!(GemmDims, pad0)),
    ];
    for ((wn, wo), (rn, ro)) in m.iter().zip(rust) {
        assert_eq!((wn.as_str(), *wo as usize), (rn, ro));
    }
}

/// Every thermal shader's copy of a shared struct matches the Rust one.
#[test]
fn thermal_structs_match_rust() {
    use std::mem::{offset_of, size_of};
    use thermogrid::thermal::gpu::{LevelParams, TransferParams, VecParams};
    let level: Vec<(&str, usize)> = vec![
        ("nx", offset_of!(LevelParams, nx)),
        ("ny", offset_of!(LevelParams, ny)),
        ("nz", offset_of!(LevelParams, nz)),
        ("cells", offset_of!(LevelParams, cells)),
        ("pnx", offset_of!(LevelParams, pnx)),
        ("pny", offset_of!(LevelParams, pny)),
        ("pz", offset_of!(LevelParams, pz)),
        ("noff", offset_of!(LevelParams, noff)),
        ("diag", offset_of!(LevelParams, diag)),
        ("colour", offset_of!(LevelParams, colour)),
        ("face", offset_of!(LevelParams, face)),
        ("groups_x", offset_of!(LevelParams, groups_x)),
    ];
    let transfer: Vec<(&str, usize)> = vec![
        ("fnx", offset_of!(TransferParams, fnx)),
        ("fny", offset_of!(TransferParams, fny)),
        ("fnz", offset_of!(TransferParams, fnz)),
        ("fcells", offset_of!(TransferParams, fcells)),
        ("fpnx", offset_of!(TransferParams, fpnx)),
        ("fpny", offset_of!(TransferParams, fpny)),
        ("fpz", offset_of!(TransferParams, fpz)),
        ("nd", offset_of!(TransferParams, nd)),
        ("cnx", offset_of!(TransferParams, cnx)),
        ("cny", offset_of!(TransferParams, cny)),
        ("cnz", offset_of!(TransferParams, cnz)),
        ("ccells", offset_of!(TransferParams, ccells)),
        ("cpnx", offset_of!(TransferParams, cpnx)),
        ("cpny", offset_of!(TransferParams, cpny)),
        ("cpz", offset_of!(TransferParams, cpz)),
        ("coarsen", offset_of!(TransferParams, coarsen)),
        ("groups_x", offset_of!(TransferParams, groups_x)),
        ("pad0", offset_of!(TransferParams, pad0)),
        ("pad1", offset_of!(TransferParams, pad1)),
        ("pad2", offset_of!(TransferParams, pad2)),
    ];
    let vec: Vec<(&str, usize)> = vec![
        ("n", offset_of!(VecParams, n)),
        ("groups_x", offset_of!(VecParams, groups_x)),
        ("slot", offset_of!(VecParams, slot)),
        ("mode", offset_of!(VecParams, mode)),
    ];
    let mut files = Vec::new();
    wgsl_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders/thermal"), &mut files);
    let mut checked = 0;
    for f in &files {
        let rel =
            f.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().to_str().unwrap().trim_start_matches('/').to_string();
        let src = composed(f);
        for (name, size, fields) in [
            ("LevelParams", size_of::<LevelParams>(), &level),
            ("TransferParams", size_of::<TransferParams>(), &transfer),
            ("VecParams", size_of::<VecParams>(), &vec),
        ] {
            if !src.contains(&format!("struct {name}")) {
                continue;
            }
            let (s, m) = layout(&rel, name);
            assert_eq!(s as usize, size, "{rel} {name}");
            let got: Vec<(String, usize)> = m.into_iter().map(|(n, o)| (n, o as usize)).collect();
            let want: Vec<(String, usize)> = fields.iter().map(|(n, o)| (n.to_string(), *o)).collect();
            assert_eq!(got, want, "{rel} {name}");
            checked += 1;
        }
    }
    assert!(checked >= 11, "checked {checked} structs");
}

/// The shared files embedded in the binary are the ones in shaders/shared/.
#[test]
fn embedded_shared_files_are_current() {
    for (name, text) in thermogrid::gpu::SHARED_WGSL {
        let disk = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders").join(name)).unwrap();
        assert_eq!(disk, text, "{name}");
    }
}

/// The hall-air kernels' parameters match the Rust struct.
#[test]
fn cfd_params_match_rust() {
    use std::mem::{offset_of, size_of};
    use thermogrid::airflow::cfd::gpu::CfdParams;
    let rust: Vec<(&str, usize)> = vec![
        ("n", offset_of!(CfdParams, n)),
        ("pad", offset_of!(CfdParams, pad)),
        ("off", offset_of!(CfdParams, off)),
        ("job", offset_of!(CfdParams, job)),
        ("flags", offset_of!(CfdParams, flags)),
        ("phys", offset_of!(CfdParams, phys)),
        ("fluid", offset_of!(CfdParams, fluid)),
        ("misc", offset_of!(CfdParams, misc)),
        ("wall_t", offset_of!(CfdParams, wall_t)),
        ("wall_v", offset_of!(CfdParams, wall_v)),
    ];
    for file in ["shaders/air/momentum_rows.wgsl", "shaders/air/energy_rows.wgsl", "shaders/air/axpby.wgsl"] {
        let (size, m) = layout(file, "CfdParams");
        assert_eq!(size as usize, size_of::<CfdParams>(), "{file}");
        let wgsl: Vec<(&str, usize)> = m.iter().map(|(n, o)| (n.as_str(), *o as usize)).collect();
        assert_eq!(wgsl, rust, "{file}");
    }
}
