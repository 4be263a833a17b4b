//! Layout sweeps and sharded batches: any key swept by its dotted path, variants of a
//! file, a batch split over shards (the command line, Slurm's and Kubernetes'
//! variables) merging into the summary of one run, and failures that are reported and
//! rerun.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_thermogrid"));
    c.args(args);
    for k in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
        "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX",
    ] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, &[])
}

/// A small 2-D room on the potential model (a fraction of a second per case): one row
/// of four 15 kW racks, a 100 kW CRAH blowing at it.
const ROOM: &str = r#"
name = "sweep room"
[floor]
width_m = 8.0
depth_m = 6.0
cell_m = 0.2
height_m = 3.0
[[rack_row]]
id = "A"
x_m = 3.0
y_m = 2.0
count = 4
facing = "north"
power_kw = 15.0
[[cooling]]
id = "CRAH-1"
kind = "crah"
x_m = 0.2
y_m = 2.2
width_m = 0.8
depth_m = 1.6
facing = "east"
capacity_kw = 100.0
supply_c = 20.0
delta_t_k = 12.0
[airflow]
model = "potential"
"#;

/// A wall between the CRAH and the racks.
const BAFFLE: &str = r#"
[[obstacle]]
id = "baffle"
kind = "wall"
x_m = 1.6
y_m = 1.0
width_m = 0.2
depth_m = 4.0
"#;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tg-sweeps-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn summary(out: &Path) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(out.join("summary.json")).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn layouts_and_any_key_sweep_by_path_and_variant() {
    let d = scratch("layouts");
    std::fs::write(d.join("baffle.toml"), BAFFLE).unwrap();
    let file = d.join("room.toml");
    std::fs::write(
        &file,
        format!(
            "{ROOM}\n[sweep]\n\"cooling.CRAH-1.supply_c\" = [18.0, 22.0]\n\"rack_row.A.power_kw\" = [7.5, 15.0]\n\
             [[sweep.variant]]\nname = \"open\"\n[[sweep.variant]]\nname = \"baffle\"\nfile = \"baffle.toml\"\n"
        ),
    )
    .unwrap();
    let out = d.join("out");
    let (f, o) = (file.to_str().unwrap(), out.to_str().unwrap());
    let (code, plan, _) = run(&["batch", f, "-o", o, "--plan"]);
    assert_eq!(code, 0);
    assert_eq!(plan.lines().count(), 8, "{plan}");
    assert!(plan.contains("room__baffle__cooling.CRAH-1.supply_c=22__rack_row.A.power_kw=7.5"), "{plan}");
    assert!(!out.join("summary.csv").exists(), "--plan solves nothing");
    let (code, stdout, stderr) = run(&["batch", f, "-o", o, "--backend", "cpu", "--jobs", "2"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("8 cases: 8 solved"), "{stdout}");
    let rows = summary(&out);
    let get = |variant: &str, supply: &str, kw: &str| {
        rows.iter()
            .find(|r| {
                r["values"]["variant"] == variant
                    && r["values"]["cooling.CRAH-1.supply_c"] == supply
                    && r["values"]["rack_row.A.power_kw"] == kw
            })
            .unwrap_or_else(|| panic!("{variant} {supply} {kw} not in the summary"))
            .clone()
    };
    let intake = |v: &str, s: &str, k: &str| get(v, s, k)["max_intake_c"].as_f64().unwrap();
    // The swept keys act as they would written in the file: a warmer supply, warmer
    // intakes; half the IT, cooler; a baffle in the supply air's way, hotter.
    assert!(intake("open", "22", "15") > intake("open", "18", "15") + 3.0);
    assert!(intake("open", "18", "7.5") < intake("open", "18", "15") - 1.0);
    assert!(intake("baffle", "18", "15") > intake("open", "18", "15") + 1.0);
    assert_eq!(get("open", "18", "7.5")["it_mw"].as_f64().unwrap(), 0.03);
    assert_eq!(get("open", "18", "15")["it_mw"].as_f64().unwrap(), 0.06);
    for key in
        ["racks_over_27c", "racks_over_32c", "overloaded_units", "cooling_mw", "facility_mw", "pue", "mean_intake_c"]
    {
        assert!(!get("open", "18", "15")[key].is_null(), "{key}");
    }
    // A column per swept value in summary.csv, and an output per case.
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let head = csv.lines().next().unwrap();
    assert!(head.starts_with("case,status,variant,cooling.CRAH-1.supply_c,rack_row.A.power_kw,"), "{head}");
    assert_eq!(csv.lines().count(), 9);
    assert!(out.join("room__baffle__cooling.CRAH-1.supply_c=18__rack_row.A.power_kw=15.h5").exists());
    // The same variants written as a list, and the paths as TOML dotted keys, in a
    // directory with the fragment beside them: the fragment is not an input, and the
    // cases and answers are the same.
    let sub = d.join("listed");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("baffle.toml"), BAFFLE).unwrap();
    std::fs::write(
        sub.join("listed.toml"),
        format!(
            "{ROOM}\n[sweep]\ncooling.CRAH-1.supply_c = [18.0, 22.0]\nrack_row.A.power_kw = [7.5, 15.0]\n\
             variants = [{{ name = \"open\" }}, \"baffle.toml\"]\n"
        ),
    )
    .unwrap();
    let out2 = d.join("out2");
    let (code, stdout, stderr) =
        run(&["batch", sub.to_str().unwrap(), "-o", out2.to_str().unwrap(), "--backend", "cpu"]);
    assert!(stdout.contains("8 cases: 8 solved"), "the fragment is no case: {stdout}");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rows2 = summary(&out2);
    for r in &rows {
        let twin = rows2.iter().find(|x| x["values"] == r["values"]).expect("the same case");
        assert_eq!(twin["max_intake_c"], r["max_intake_c"], "{}", r["case"]);
    }
    // Changing the variant's file changes the answer, so its cases are solved again.
    std::fs::write(d.join("baffle.toml"), BAFFLE.replace("depth_m = 4.0", "depth_m = 3.0")).unwrap();
    let (code, stdout, _) = run(&["batch", f, "-o", o, "--backend", "cpu"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("8 cases: 4 solved, 4 up to date"), "{stdout}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn a_sweep_that_cannot_be_made_is_bad_input_naming_the_key() {
    let d = scratch("bad");
    let file = d.join("room.toml");
    let f = file.to_str().unwrap();
    for (sweep, want) in [
        ("\"cooling.CRAH-9.capacity_kw\" = [50.0]", "no element `CRAH-9`"),
        ("\"cooling.CRAH-1.capacity_kw\" = [50.0, -5.0]", "cooling.CRAH-1.capacity_kw = -5"),
        ("\"cooling.CRAH-1.capcity_kw\" = [50.0]", "capcity_kw"),
        ("\"rack.R9.power_kw\" = [5.0]", "no `rack` in the file"),
        ("supply_c = [18.0, 18.0]", "lists 18 twice"),
        ("supply_c = [18.0]\n\"cooling.CRAH-1.supply_c\" = [17.0]", "would override it"),
        ("cooling.CRAH-1.capacity_kw = 50.0", "not a list of values"),
        ("supply = [18.0]", "unknown key `supply`"),
        ("\"airflow.model\" = []", "has no values"),
        ("[[sweep.variant]]\nname = \"a b\"", "not usable in a file name"),
        ("[[sweep.variant]]\nname = \"x\"\nfile = \"missing.toml\"", "cannot read its file"),
        ("[[sweep.variant]]\nname = \"x\"\nremove = [\"obstacle.none\"]", "remove `obstacle.none`"),
    ] {
        let text =
            if sweep.starts_with("[[") { format!("{ROOM}\n{sweep}\n") } else { format!("{ROOM}\n[sweep]\n{sweep}\n") };
        std::fs::write(&file, text).unwrap();
        let (code, _, stderr) = run(&["solve", f, "-o", d.join("x.h5").to_str().unwrap(), "--backend", "cpu"]);
        assert_eq!(code, 2, "{sweep}: {stderr}");
        assert!(stderr.contains(want) && stderr.contains("room.toml:"), "{sweep}: {stderr}");
        assert!(stderr.contains("fix:"), "{stderr}");
        assert!(!d.join("x.h5").exists());
    }
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn shards_merge_into_the_summary_of_one_run_and_failures_rerun() {
    let d = scratch("shards");
    let inputs = d.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    std::fs::write(
        inputs.join("a_room.toml"),
        format!("{ROOM}\n[sweep]\nit_power_scale = [0.5, 0.75, 1.0]\nsupply_c = [17.0, 18.0, 19.0, 20.0]\n"),
    )
    .unwrap();
    // A deliberately broken input: one failing case in every run.
    std::fs::write(inputs.join("b_broken.toml"), ROOM.replace("cell_m = 0.2", "cell_m = = 0.2")).unwrap();
    let i = inputs.to_str().unwrap();
    let (one, four) = (d.join("one"), d.join("four"));
    let (code, stdout, _) = run(&["batch", i, "-o", one.to_str().unwrap(), "--backend", "cpu", "--jobs", "2"]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains("13 cases: 12 solved, 0 up to date, 1 failed"), "{stdout}");
    let o = four.to_str().unwrap();
    let batch = |extra: &[&str], env: &[(&str, &str)]| {
        let mut a = vec!["batch", i, "-o", o, "--backend", "cpu"];
        a.extend_from_slice(extra);
        run_env(&a, env)
    };
    // Shards 1, 2 and 3 of 4: by flag, as a Slurm array task, as a Kubernetes index.
    let (_, s1, _) = batch(&["--shard", "1/4"], &[]);
    assert!(s1.contains("4 cases: 3 solved, 0 up to date, 1 failed"), "{s1}");
    assert!(s1.contains("thermogrid summarize"), "{s1}");
    let slurm = [("SLURM_ARRAY_TASK_ID", "11"), ("SLURM_ARRAY_TASK_MIN", "10"), ("SLURM_ARRAY_TASK_MAX", "13")];
    let (code, s2, e2) = batch(&[], &slurm);
    assert_eq!(code, 0, "{s2}{e2}");
    assert!(e2.contains("shard 2/4") && s2.contains("3 cases: 3 solved"), "{s2}{e2}");
    let (code, s3, e3) = batch(&["--shards", "4"], &[("JOB_COMPLETION_INDEX", "2")]);
    assert_eq!(code, 0, "{s3}{e3}");
    assert!(e3.contains("shard 3/4"), "{e3}");
    assert!(!four.join("summary.csv").exists(), "a shard writes no summary");
    // Shard 4 has not run: summarize says which cases are missing, and fails.
    let (code, s, _) = run(&["summarize", o]);
    assert_eq!(code, 1, "{s}");
    assert!(s.contains("13 cases: 9 solved, 1 failed, 3 missing"), "{s}");
    assert!(s.contains("missing: a_room__supply_c=18__it_power_scale=0.5"), "{s}");
    let missing: Vec<_> = summary(&four).into_iter().filter(|r| r["status"] == "missing").collect();
    assert_eq!(missing.len(), 3);
    let (_, s4, _) = batch(&["--shard", "4/4"], &[]);
    assert!(s4.contains("3 cases: 3 solved"), "{s4}");
    let (code, s, _) = run(&["summarize", o]);
    assert_eq!(code, 1, "one case failed: {s}");
    assert!(s.contains("13 cases: 12 solved, 1 failed, 0 missing") && s.contains("failed: b_broken"), "{s}");
    // The merged summary is the single run's, byte for byte.
    for f in ["summary.csv", "summary.json"] {
        assert_eq!(
            std::fs::read_to_string(one.join(f)).unwrap(),
            std::fs::read_to_string(four.join(f)).unwrap(),
            "{f} differs between one run and four shards"
        );
    }
    assert!(four.join("timings.csv").exists());
    // Mend the broken input: its failed record is from the old file, so until its shard
    // runs again the case is missing; then only that case is solved. (Any run rewrites
    // the plan: shard 2's, whose cases are all up to date.)
    std::fs::write(inputs.join("b_broken.toml"), ROOM).unwrap();
    let (_, s2, _) = batch(&["--shard", "2/4"], &[]);
    assert!(s2.contains("3 cases: 0 solved, 3 up to date"), "{s2}");
    let (code, s, _) = run(&["summarize", o]);
    assert_eq!(code, 1);
    assert!(s.contains("13 cases: 12 solved, 0 failed, 1 missing") && s.contains("missing: b_broken"), "{s}");
    let (code, s1, e1) = batch(&["--shard", "1/4"], &[]);
    assert_eq!(code, 0, "{s1}{e1}");
    assert!(s1.contains("4 cases: 1 solved, 3 up to date, 0 failed"), "{s1}");
    let (code, s, _) = run(&["summarize", o]);
    assert_eq!(code, 0, "{s}");
    assert!(s.contains("13 cases: 13 solved, 0 failed, 0 missing"), "{s}");
    // Bad shard arguments are bad input.
    for (extra, env) in [
        (vec!["--shard", "5/4"], vec![]),
        (vec!["--shard", "1/4", "--shards", "4"], vec![]),
        (vec!["--shards", "4"], vec![]),
        (vec![], vec![("JOB_COMPLETION_INDEX", "1")]),
        (vec![], vec![("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_COUNT", "4")]),
    ] {
        let (code, _, e) = batch(&extra, &env);
        assert_eq!(code, 2, "{extra:?} {env:?}: {e}");
        assert!(e.contains("fix:"), "{e}");
    }
    let (code, _, e) = run(&["summarize", d.join("nothing").to_str().unwrap()]);
    assert_eq!(code, 2, "{e}");
    assert!(e.contains("plan.json"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}
