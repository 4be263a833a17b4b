//! A facility's or a campus's contingencies from its file, as the command line
//! (`thermogrid contingency FILE --facility`, or any campus file) and the Python
//! package (`thermogrid.facility_contingency`) run them: read the file, screen every
//! element, run the room transients of the most severe outages, write the results
//! file (and the scenario files and heat maps of its three most severe simulated
//! outages beside it, on a campus one per hall each touches), and give the summaries.

use super::campus::CampusThermal;
use super::Contingencies;
use crate::error::{Error, InputError};
use crate::facility::campus;
use std::path::{Path, PathBuf};

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Room transients per facility (per hall on a campus): the most severe outages
    /// that touch the room.
    pub thermal: usize,
    /// Time step of the transients, s (checked by the caller: finite, > 0).
    pub dt_s: f64,
    /// Length of the transients, s (checked by the caller: finite, > 0).
    pub duration_s: f64,
    /// Where the transients run (the hall-air model's scenarios have a GPU twin).
    pub backend: crate::backend::Backend,
}

/// A finished study: the ranked outages and how long their transients took.
pub struct Study {
    pub name: String,
    pub contingencies: Contingencies,
    /// Seconds of the room transients.
    pub thermal_s: f64,
    /// On a campus: its halls (id, file, racks, IT MW) and the batching of its
    /// transients.
    pub campus: Option<(Vec<serde_json::Value>, CampusThermal)>,
}

/// Outages whose scenario files and heat maps are written beside the results file.
const WORST_KEPT: usize = 3;

/// Run the study of `file` (a facility TOML with a `[network]`, or a campus file);
/// with `output`, write its results there (atomically, as every results file) and,
/// with `worst_files` too, the worst outages' scenario files and heat maps beside it
/// (on a campus, one per hall each touches). `names` are the caller's names of the time step and duration
/// (`--dt`, `dt`) for messages.
pub fn run(
    file: &str,
    o: &Options,
    names: (&str, &str),
    output: Option<&Path>,
    worst_files: bool,
) -> Result<Study, Error> {
    if Path::new(file).extension().is_some_and(|e| e == "m") || crate::io::fields::is_hdf5(file) {
        return Err(InputError::new(
            file,
            "facility contingencies",
            "need a facility file (TOML) with a [network], or a campus file",
            "give a facility file, or run the branch N-1 of a MATPOWER case (thermogrid contingency without --facility)",
        )
        .into());
    }
    let steps = (o.duration_s / o.dt_s).ceil();
    if steps > crate::facility::MAX_SCENARIO_STEPS as f64 {
        return Err(InputError::new(
            "command line",
            names.1,
            format!("{steps} steps of {} {} s", names.0, o.dt_s),
            format!("give a longer {} or a shorter {}", names.0, names.1),
        )
        .into());
    }
    let keep = if output.is_some() && worst_files { WORST_KEPT } else { 0 };
    // The study, its racks, and the worst outages' scenarios with the element label of
    // their files.
    let (study, racks, worst) = if campus::is_campus(file) {
        let c = campus::load(file)?;
        let (cont, cost, worst) = super::campus::run(&c, o.thermal, (o.dt_s, o.duration_s), keep, o.backend)?;
        let worst: Vec<_> =
            worst.into_iter().map(|(k, hall, sc)| (k, format!("{}.{hall}", cont.outages[k].element), sc)).collect();
        let halls = c
            .halls
            .iter()
            .map(|h| {
                serde_json::json!({
                    "id": h.id, "file": h.file, "racks": h.facility.racks.len(),
                    "it_mw": h.facility.racks.iter().map(|r| r.power_kw).sum::<f64>() / 1e3,
                })
            })
            .collect();
        let racks: Vec<String> = c.plant.racks.iter().map(|r| r.id.clone()).collect();
        let study = Study { name: c.name, contingencies: cont, thermal_s: cost.wall_s, campus: Some((halls, cost)) };
        (study, racks, worst)
    } else {
        let f = crate::facility::load(file)?;
        let (c, thermal_s, worst) = super::run(&f, o.thermal, (o.dt_s, o.duration_s), keep, o.backend)?;
        let worst: Vec<_> = worst.into_iter().map(|(k, sc)| (k, c.outages[k].element.clone(), sc)).collect();
        let racks: Vec<String> = f.racks.iter().map(|r| r.id.clone()).collect();
        (Study { name: f.name, contingencies: c, thermal_s, campus: None }, racks, worst)
    };
    if let Some(out) = output {
        let written = |out: &Path, m: String| {
            InputError::new(&out.display().to_string(), "output", m, "choose a writable output path with free space")
        };
        super::output::write_h5(out, &study.name, &racks, &study.contingencies).map_err(|m| written(out, m))?;
        for (k, element, sc) in &worst {
            let h5 = worst_file(out, *k, element);
            crate::scenario::write_scenario(&h5, sc).map_err(|m| written(&h5, m))?;
            crate::io::render::render_results(&h5, &h5.with_extension("png")).map_err(|m| written(&h5, m))?;
        }
    }
    Ok(study)
}

/// The scenario file of the outage ranked `k` (from 0) beside results file `out`:
/// `OUT.<rank>_<element>.h5` (its heat maps the same with `.png`; characters other than
/// letters, digits, `-` and `_` written `_`); on a campus `element` is
/// `<element>.<hall>`, so the file is `OUT.<rank>_<element>_<hall>.h5`.
pub fn worst_file(out: &Path, k: usize, element: &str) -> PathBuf {
    let stem = out.with_extension("");
    PathBuf::from(format!("{}.{}.h5", stem.display(), super::output::group_name(k, element)))
}

impl Study {
    /// The `--json` summary (`output`: the results file written, if any).
    pub fn json(&self, output: Option<&str>) -> serde_json::Value {
        let mut j = super::output::json_summary(&self.name, &self.contingencies, self.thermal_s, output);
        if let Some((halls, cost)) = &self.campus {
            j["halls"] = serde_json::json!(halls);
            j["transients"] = serde_json::json!(cost);
        }
        j
    }

    /// The terminal summary: the `top` most severe outages.
    pub fn text(&self, top: usize, output: Option<&str>) -> String {
        let mut s = super::output::text_summary(&self.name, &self.contingencies, top, self.thermal_s, output);
        if let Some((halls, cost)) = &self.campus {
            s.push_str(&format!(
                "{} halls · transients: {} (hall, outage) pairs, {} run ({} steady starts), {:.1} s\n",
                halls.len(),
                cost.pairs,
                cost.runs,
                cost.steady_starts,
                cost.wall_s
            ));
        }
        s
    }
}
