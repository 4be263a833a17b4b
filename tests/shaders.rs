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

fn module(path: &Path) -> naga::Module {
    let src = std::fs::read_to_string(path).unwrap();
    naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| panic!("{}: {}", path.display(), e.emit_to_string(&src)))
}

#[test]
fn every_shader_parses_and_validates() {
    let mut files = Vec::new();
    wgsl_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders"), &mut files);
    assert!(!files.is_empty(), "no shaders found");
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
