//! What a batch leaves in its output directory besides the results, and the summary
//! made from it:
//!
//! - `plan.json`: every case of the batch, in plan order, with its input, output and
//!   swept values (each shard writes the same plan);
//! - `cases/<case>.json`: one record per case that ran (solved or failed), written when
//!   the case ends, with its metrics and its run key;
//! - `summary.csv`, `summary.json`: one row per planned case — solved, failed or
//!   missing (no record yet, or only one from an earlier plan: another run key) — with a
//!   column per swept value. The summary holds no
//!   timings, so that the same cases give the same summary however they were split over
//!   shards; run times are in `timings.csv`.

use super::CaseResult;
use crate::error::{Error, InputError};
use crate::io::h5util::write_file_atomic;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One planned case.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PlannedCase {
    pub case: String,
    pub input: String,
    pub output: String,
    /// Swept values by name (`variant`, `supply_c`, dotted paths), in sweep order.
    pub values: Vec<(String, String)>,
    /// The run key the case is solved under: a record with another key is from an
    /// earlier plan (another input, options or version) and does not count.
    #[serde(default)]
    pub run_key: Option<String>,
}

/// `plan.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    pub cases: Vec<PlannedCase>,
}

fn io_err(dir: &Path, what: &str, e: String) -> Error {
    Error::Input(InputError::new(&dir.display().to_string(), what, e, "choose a writable output directory"))
}

/// Where a case's record goes.
pub fn record_path(outdir: &Path, case: &str) -> PathBuf {
    outdir.join("cases").join(format!("{case}.json"))
}

pub fn write_plan(outdir: &Path, plan: &Plan) -> Result<(), Error> {
    let json = serde_json::to_string_pretty(plan).map_err(|e| Error::Internal(format!("plan.json: {e}")))?;
    write_file_atomic(&outdir.join("plan.json"), json.as_bytes()).map_err(|e| io_err(outdir, "plan.json", e))
}

pub fn write_record(outdir: &Path, r: &CaseResult) -> Result<(), Error> {
    let dir = outdir.join("cases");
    std::fs::create_dir_all(&dir).map_err(|e| io_err(outdir, "cases/", e.to_string()))?;
    let json = serde_json::to_string_pretty(r).map_err(|e| Error::Internal(format!("case record: {e}")))?;
    write_file_atomic(&record_path(outdir, &r.case), json.as_bytes()).map_err(|e| io_err(outdir, "case record", e))
}

/// A case's record, if it has one that reads.
pub fn read_record(outdir: &Path, case: &str) -> Option<CaseResult> {
    serde_json::from_str(&std::fs::read_to_string(record_path(outdir, case)).ok()?).ok()
}

/// The merged summary of a batch directory.
pub struct Summary {
    pub rows: Vec<CaseResult>,
    pub missing: Vec<String>,
    pub failed: Vec<String>,
}

/// Merge what every shard wrote in `outdir` (its `plan.json` and case records) into
/// `summary.csv`, `summary.json` and `timings.csv`.
pub fn summarize(outdir: &Path) -> Result<Summary, Error> {
    let dir = outdir.display().to_string();
    let text = std::fs::read_to_string(outdir.join("plan.json")).map_err(|e| {
        InputError::new(
            &dir,
            "plan.json",
            format!("cannot read it: {e}"),
            "give the output directory of a thermogrid batch",
        )
    })?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| {
        InputError::new(
            &dir,
            "plan.json",
            format!("is not a batch plan: {e}"),
            "rerun thermogrid batch into this directory",
        )
    })?;
    let mut rows = Vec::with_capacity(plan.cases.len());
    let (mut missing, mut failed) = (Vec::new(), Vec::new());
    for p in &plan.cases {
        let r = match read_record(outdir, &p.case).filter(|r| r.run_key == p.run_key) {
            Some(mut r) => {
                // A record is what ran; the plan says what it is called and what it sweeps.
                if r.status == "skipped" {
                    r.status = "ok".into();
                }
                r.values = p.values.clone();
                r
            }
            None => {
                let mut r = CaseResult::new(&p.case, &p.input, &p.output, p.values.clone());
                r.status = "missing".into();
                r
            }
        };
        match r.status.as_str() {
            "missing" => missing.push(r.case.clone()),
            "failed" => failed.push(r.case.clone()),
            _ => {}
        }
        rows.push(r);
    }
    write_summary(outdir, &rows)?;
    Ok(Summary { rows, missing, failed })
}

/// CSV text of `rows` (RFC 4180 through the csv crate: a field is quoted when it holds
/// a comma, a quote or a line break; records end in `\n`).
fn csv_text<I, R>(rows: I) -> Result<String, Error>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv::WriterBuilder::new().flexible(false).from_writer(Vec::new());
    for r in rows {
        w.write_record(r).map_err(|e| Error::Internal(format!("CSV: {e}")))?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(format!("CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(format!("CSV: {e}")))
}

/// The summary's metric columns: name and value of a row.
fn metrics(r: &CaseResult) -> Vec<(&'static str, String)> {
    let f = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    let n = |v: Option<usize>| v.map(|x| x.to_string()).unwrap_or_default();
    vec![
        ("air_model", r.air_model.clone().unwrap_or_default()),
        ("max_intake_c", f(r.max_intake_c)),
        ("mean_intake_c", f(r.mean_intake_c)),
        ("racks", n(r.racks)),
        ("racks_over_27c", n(r.racks_over_27c)),
        ("racks_over_32c", n(r.racks_over_32c)),
        ("rci_hi_pct", f(r.rci_hi_pct)),
        ("rci_lo_pct", f(r.rci_lo_pct)),
        ("overloaded_units", n(r.overloaded_units)),
        ("it_mw", f(r.it_mw)),
        ("cooling_mw", f(r.cooling_mw)),
        ("facility_mw", f(r.facility_mw)),
        ("pue", f(r.pue)),
        ("max_temperature_c", f(r.max_temperature_c)),
        ("iterations", n(r.iterations)),
    ]
}

fn write_summary(outdir: &Path, rows: &[CaseResult]) -> Result<(), Error> {
    // A column per swept value, in the order they first appear.
    let mut swept: Vec<String> = Vec::new();
    for r in rows {
        for (k, _) in &r.values {
            if !swept.contains(k) {
                swept.push(k.clone());
            }
        }
    }
    let mut head: Vec<String> = vec!["case".into(), "status".into()];
    head.extend(swept.iter().cloned());
    head.extend(metrics(&CaseResult::new("", "", "", vec![])).iter().map(|(k, _)| k.to_string()));
    head.extend(["exit_code", "output", "error"].map(String::from));
    let mut table: Vec<Vec<String>> = vec![head];
    let mut times: Vec<Vec<String>> = vec![["case", "status", "wall_s", "solve_s"].map(String::from).to_vec()];
    for r in rows {
        let mut cells = vec![r.case.clone(), r.status.clone()];
        for k in &swept {
            cells.push(r.values.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default());
        }
        cells.extend(metrics(r).into_iter().map(|(_, v)| v));
        cells.push(r.exit_code.map(|c| c.to_string()).unwrap_or_default());
        cells.push(r.output.clone());
        // One line per case: the error's fix follows on the same line.
        cells.push(r.error.as_deref().unwrap_or("").replace("\n  fix: ", " — fix: ").replace(['\n', '\r'], " "));
        table.push(cells);
        let secs = |v: Option<f64>| v.map(|w| format!("{w:.6}")).unwrap_or_default();
        times.push(vec![r.case.clone(), r.status.clone(), secs(r.wall_s), secs(r.solve_s)]);
    }
    let (csv, timings) = (csv_text(&table)?, csv_text(&times)?);
    // Timings and run keys stay out of summary.json too (see the module documentation).
    let rows_json: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove("wall_s");
                o.remove("solve_s");
                o.remove("run_key");
                o.insert(
                    "values".into(),
                    serde_json::Value::Object(r.values.iter().map(|(k, x)| (k.clone(), x.clone().into())).collect()),
                );
            }
            v
        })
        .collect();
    let json = serde_json::to_string_pretty(&rows_json).map_err(|e| Error::Internal(format!("summary.json: {e}")))?;
    // Each file is written atomically: a killed run leaves the previous one whole.
    write_file_atomic(&outdir.join("summary.csv"), csv.as_bytes()).map_err(|e| io_err(outdir, "summary", e))?;
    write_file_atomic(&outdir.join("summary.json"), json.as_bytes()).map_err(|e| io_err(outdir, "summary", e))?;
    write_file_atomic(&outdir.join("timings.csv"), timings.as_bytes()).map_err(|e| io_err(outdir, "summary", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        let t = super::csv_text([["a", "a,b", "say \"x\"\nnext", ""], ["1.2500", "ok", " x ", "#"]]).unwrap();
        assert_eq!(t, "a,\"a,b\",\"say \"\"x\"\"\nnext\",\n1.2500,ok, x ,#\n");
    }
}
