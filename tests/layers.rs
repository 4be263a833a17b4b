//! The crate's layers (README, "Layout of the code"): every top-level module has a rank,
//! and a module may use only modules of lower rank. This rules out import cycles and
//! keeps, for example, the power side from writing files or running studies.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Rank of each top-level module of src/ (main.rs and lib.rs sit on top).
const RANKS: [(&str, u32); 26] = [
    // Foundations: no crate imports.
    ("error", 0),
    ("outcome", 0),
    ("grid", 0),
    ("gpu", 0),
    ("memory", 0),
    ("alloc", 0),
    ("mapped", 0),
    ("progress", 0),
    // Models and solvers.
    ("facility", 1),
    ("backend", 1),
    ("thermal", 1),
    ("raster", 2),
    ("power", 2),
    ("samples", 2),
    ("options", 2),
    ("metrics", 3),
    ("airflow", 3),
    ("coupling", 4),
    // Results as data, then what reads them.
    ("study", 5),
    ("guard", 6),
    ("report", 6),
    ("io", 6),
    // Orchestration.
    ("run", 7),
    ("scenario", 8),
    ("batch", 8),
    ("outage", 9),
];

/// `crate::X` references per top-level module, comments and `#[cfg(test)]` parts left out.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        let top = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        if top == "main" || top == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let mut code: String = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
        if let Some(i) = code.find("#[cfg(test)]") {
            code.truncate(i);
        }
        let deps = m.entry(top.clone()).or_default();
        let mut rest = code.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + 7..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for part in group[..end].split(',') {
                    let name: String = part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() {
                        deps.insert(name);
                    }
                }
            } else {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                deps.insert(name);
            }
        }
        deps.remove(&top);
    }
    m
}

#[test]
fn every_module_uses_only_lower_layers() {
    let rank: BTreeMap<&str, u32> = RANKS.iter().copied().collect();
    let m = imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut bad = Vec::new();
    for (module, deps) in &m {
        let Some(&r) = rank.get(module.as_str()) else {
            bad.push(format!("{module} has no layer: add it to RANKS in tests/layers.rs and to the README"));
            continue;
        };
        for d in deps {
            match rank.get(d.as_str()) {
                Some(&rd) if rd < r => {}
                Some(&rd) => bad.push(format!("{module} (layer {r}) uses {d} (layer {rd})")),
                None => bad.push(format!("{module} uses {d}, which has no layer")),
            }
        }
    }
    assert!(bad.is_empty(), "layer rules broken:\n{}", bad.join("\n"));
    // The rules bite: power writes no files and runs no studies.
    assert!(!m["power"].contains("io") && !m["power"].contains("run"));
}
