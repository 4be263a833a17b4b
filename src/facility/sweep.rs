//! `[sweep]` beyond its three built-in keys: any key of the facility file by its dotted
//! path (`"cooling.CRAH-1.capacity_kw" = [60, 80]`), and variants — alternative blocks
//! of the file (`[[sweep.variant]]`: containment removed, in-row cooling added, …).
//!
//! A case is made on the file's TOML document: the variant's fragment file merged in
//! (tables key by key, arrays of tables appended), its `remove` paths removed, its `set`
//! and the case's swept values written, `[sweep]` dropped; the document is then read and
//! validated like any facility file, so every key that a file may hold can be swept and
//! every case is checked as strictly as a file. A path names tables by key and the
//! elements of arrays of tables (`cooling`, `rack`, `obstacle`, …) by their `id` (or
//! `name`), or by position from 0.

use super::spec::VariantSpec;
use super::SweepCase;
use crate::error::InputError;
use toml::{Table, Value};

/// What a path does at its end.
enum Op<'v> {
    Set(&'v Value),
    Remove,
}

/// Whether an array element is the one named `id` (its `id` or `name`).
fn named(e: &Value, id: &str) -> bool {
    let Value::Table(t) = e else { return false };
    ["id", "name"].iter().any(|k| t.get(*k).and_then(Value::as_str) == Some(id))
}

/// Apply `op` at `segs` below `t`; `Err` says what is not there.
fn walk(t: &mut Table, segs: &[&str], op: &Op) -> Result<(), String> {
    let (first, rest) = (segs[0], &segs[1..]);
    if rest.is_empty() {
        return match op {
            Op::Set(v) => {
                t.insert(first.to_string(), (*v).clone());
                Ok(())
            }
            Op::Remove => t.remove(first).map(|_| ()).ok_or_else(|| format!("there is no key `{first}` to remove")),
        };
    }
    if !t.contains_key(first) {
        match op {
            // A table the file leaves out (its defaults apply, `[airflow]`): made, to hold
            // the key. Blocks (`[[rack]]`) and deeper tables are not made up.
            Op::Set(_) if rest.len() == 1 => {
                t.insert(first.to_string(), Value::Table(Table::new()));
            }
            _ => return Err(format!("there is no `{first}` in the file")),
        }
    }
    match t.get_mut(first).expect("present") {
        Value::Table(sub) => walk(sub, rest, op),
        Value::Array(a) => {
            // The element named by the longest run of segments (ids may hold dots),
            // else by its position.
            let mut at = None;
            for j in (0..rest.len()).rev() {
                let id = rest[..=j].join(".");
                if let Some(p) = a.iter().position(|e| named(e, &id)) {
                    at = Some((p, j + 1));
                    break;
                }
            }
            if at.is_none() {
                at = rest[0].parse::<usize>().ok().filter(|&p| p < a.len()).map(|p| (p, 1));
            }
            let Some((p, used)) = at else {
                return Err(format!(
                    "`{first}` has no element `{}` (elements are named by their id, or numbered from 0)",
                    rest[0]
                ));
            };
            let after = &rest[used..];
            if after.is_empty() {
                return match op {
                    Op::Remove => {
                        a.remove(p);
                        Ok(())
                    }
                    Op::Set(_) => Err(format!("`{first}.{}` is a whole block: sweep one of its keys", rest[0])),
                };
            }
            match &mut a[p] {
                Value::Table(sub) => walk(sub, after, op),
                _ => Err(format!("`{first}` holds values, not blocks")),
            }
        }
        _ => Err(format!("`{first}` is a value, not a table")),
    }
}

fn segments(path: &str, min: usize) -> Result<Vec<&str>, String> {
    let segs: Vec<&str> = path.split('.').map(str::trim).collect();
    if segs.len() < min || segs.iter().any(|s| s.is_empty()) {
        return Err(format!("`{path}` is not a dotted path such as cooling.CRAH-1.capacity_kw"));
    }
    Ok(segs)
}

/// Write `v` at `path`.
pub fn set(doc: &mut Table, path: &str, v: &Value) -> Result<(), String> {
    walk(doc, &segments(path, 2)?, &Op::Set(v))
}

/// Remove the key, table or block at `path` (`network`, `obstacle.roof-A`).
pub fn remove(doc: &mut Table, path: &str) -> Result<(), String> {
    walk(doc, &segments(path, 1)?, &Op::Remove)
}

/// Merge `frag` into `doc`: tables key by key, arrays of tables (blocks) appended,
/// anything else replaced.
pub fn merge(doc: &mut Table, frag: Table) {
    let blocks = |a: &[Value]| !a.is_empty() && a.iter().all(Value::is_table);
    for (k, v) in frag {
        match (doc.get_mut(&k), v) {
            (Some(Value::Table(a)), Value::Table(b)) => merge(a, b),
            (Some(Value::Array(a)), Value::Array(b)) if blocks(a) && blocks(&b) => a.extend(b),
            (_, v) => {
                doc.insert(k, v);
            }
        }
    }
}

/// A variant applied to `doc`: its fragment file (relative to `base_dir`) merged, its
/// removals, then its settings.
pub fn apply_variant(doc: &mut Table, v: &VariantSpec, base_dir: &std::path::Path) -> Result<(), String> {
    if let Some(file) = &v.file {
        let p = base_dir.join(file);
        let text = std::fs::read_to_string(&p).map_err(|e| format!("cannot read its file {}: {e}", p.display()))?;
        let frag: Table = text
            .parse()
            .map_err(|e: toml::de::Error| format!("its file {} is not TOML: {}", p.display(), e.message()))?;
        merge(doc, frag);
    }
    for path in &v.remove {
        remove(doc, path).map_err(|m| format!("remove `{path}`: {m}"))?;
    }
    for (path, val) in &v.set {
        set(doc, path, val).map_err(|m| format!("set `{path}`: {m}"))?;
    }
    Ok(())
}

/// A swept value as text (summaries).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Float(x) => super::short(*x),
        other => other.to_string(),
    }
}

/// `text` as it may appear in a file name: letters, digits and `. = + - _`, anything
/// else `_` (a swept string may hold `/` or spaces).
pub fn file_safe(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || ".=+-_".contains(c) { c } else { '_' }).collect()
}

/// The facility text of one case: `src` (the file at `path`) with the case's variant
/// and swept paths applied and `[sweep]` dropped.
pub fn case_text(path: &str, src: &str, case: &SweepCase) -> Result<String, String> {
    let mut doc: Table = src.parse().map_err(|e: toml::de::Error| e.message().to_string())?;
    doc.remove("sweep");
    let dir = std::path::Path::new(path).parent().unwrap_or(std::path::Path::new("."));
    if let Some(v) = &case.variant {
        apply_variant(&mut doc, v, dir).map_err(|m| format!("variant \"{}\": {m}", v.name))?;
    }
    for (p, v) in &case.paths {
        set(&mut doc, p, v).map_err(|m| format!("`{p}`: {m}"))?;
    }
    toml::to_string(&doc).map_err(|e| format!("cannot write the case back as TOML: {e}"))
}

/// The line of the `[sweep]` table in `src` (1 when not found), for messages.
pub fn sweep_line(src: &str) -> usize {
    src.lines()
        .position(|l| l.trim_start().starts_with("[sweep") || l.trim_start().starts_with("[[sweep"))
        .map_or(1, |i| i + 1)
}

/// Read and validate one case of `path`'s sweep (the facility as the case has it).
/// An error names the case and what it changes, at the `[sweep]` table.
pub fn load_case(path: &str, case: &SweepCase) -> Result<super::Facility, InputError> {
    if case.variant.is_none() && case.paths.is_empty() {
        let mut f = super::load(path)?;
        f.apply(case);
        return Ok(f);
    }
    let src = std::fs::read_to_string(path).map_err(|e| {
        InputError::new(path, "facility file", format!("cannot read it: {e}"), "check the path and its permissions")
    })?;
    let at = Some((sweep_line(&src), 1));
    let item = format!("[sweep] case {}", case.suffix.trim_start_matches("__"));
    let text =
        case_text(path, &src, case).map_err(|m| InputError::new(path, &item, m, "correct the [sweep] table").at(at))?;
    let mut f = super::load_str(path, &text)
        .map_err(|e| InputError::new(path, &item, format!("{}: {}", e.item, e.message), e.fix.clone()).at(at))?;
    // The case's source is the file as written (its sweep case says what changed).
    use sha2::{Digest, Sha256};
    f.input_sha256 = format!("{:x}", Sha256::digest(src.as_bytes()));
    f.apply(case);
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Table {
        r#"
name = "t"
[floor]
width_m = 4.0
[[cooling]]
id = "CRAH-1"
capacity_kw = 50.0
[[cooling]]
id = "IRC.2"
capacity_kw = 30.0
"#
        .parse()
        .unwrap()
    }

    #[test]
    fn paths_name_tables_and_elements_by_id_or_position() {
        let mut d = doc();
        set(&mut d, "cooling.CRAH-1.capacity_kw", &Value::Float(60.0)).unwrap();
        set(&mut d, "cooling.IRC.2.capacity_kw", &Value::Float(35.0)).unwrap();
        set(&mut d, "cooling.1.supply_c", &Value::Float(18.0)).unwrap();
        set(&mut d, "airflow.rack_delta_t_k", &Value::Float(10.0)).unwrap();
        let c = d["cooling"].as_array().unwrap();
        assert_eq!(c[0]["capacity_kw"].as_float(), Some(60.0));
        assert_eq!(c[1]["capacity_kw"].as_float(), Some(35.0));
        assert_eq!(c[1]["supply_c"].as_float(), Some(18.0));
        assert_eq!(d["airflow"]["rack_delta_t_k"].as_float(), Some(10.0));
        let e = set(&mut d, "cooling.CRAH-9.capacity_kw", &Value::Float(1.0)).unwrap_err();
        assert!(e.contains("no element `CRAH-9`"), "{e}");
        assert!(set(&mut d, "cooling.CRAH-1", &Value::Float(1.0)).unwrap_err().contains("whole block"));
        assert!(set(&mut d, "name.x", &Value::Float(1.0)).unwrap_err().contains("is a value"));
        assert!(set(&mut d, "floor", &Value::Float(1.0)).unwrap_err().contains("not a dotted path"));
        remove(&mut d, "cooling.CRAH-1").unwrap();
        assert_eq!(d["cooling"].as_array().unwrap().len(), 1);
        assert!(remove(&mut d, "obstacle.x").unwrap_err().contains("no `obstacle`"));
        assert!(set(&mut d, "rack.R9.power_kw", &Value::Float(1.0)).unwrap_err().contains("no `rack` in the file"));
        remove(&mut d, "floor").unwrap();
        assert!(!d.contains_key("floor"));
    }

    #[test]
    fn case_names_keep_to_file_name_characters() {
        assert_eq!(file_safe("__rack.A.feed_bus=UPS/A 1"), "__rack.A.feed_bus=UPS_A_1");
        assert_eq!(file_safe("__x=../y"), "__x=.._y");
    }

    #[test]
    fn fragments_merge_tables_and_append_blocks() {
        let mut d = doc();
        d.insert("thresholds_c".into(), Value::Array(vec![Value::Float(27.0)]));
        let frag: Table = "thresholds_c = [30.0]\n[floor]\ndepth_m = 3.0\n[[cooling]]\nid = \"N\"\ncapacity_kw = 1.0\n"
            .parse()
            .unwrap();
        merge(&mut d, frag);
        assert_eq!(d["thresholds_c"].as_array().unwrap().len(), 1, "a list of values is replaced");
        assert_eq!(d["floor"]["width_m"].as_float(), Some(4.0));
        assert_eq!(d["floor"]["depth_m"].as_float(), Some(3.0));
        assert_eq!(d["cooling"].as_array().unwrap().len(), 3);
    }
}
