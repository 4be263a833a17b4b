//! `thermogrid batch`: sweeps expand as declared, outputs and a summary per case, a
//! broken input is isolated, and a second run resumes (skips up-to-date cases).

use std::path::Path;
use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_thermogrid")).args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn batch_sweeps_isolates_failures_and_resumes() {
    let dir = std::env::temp_dir().join(format!("tg-batch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let inputs = dir.join("in");
    let out = dir.join("out");
    std::fs::create_dir_all(&inputs).unwrap();
    let small = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("meshes/hall_small.toml")).unwrap();
    std::fs::write(inputs.join("a_plain.toml"), &small).unwrap();
    std::fs::write(
        inputs.join("b_swept.toml"),
        format!("{small}\n[sweep]\nsupply_c = [18.0, 24.0]\nit_power_scale = [1.0, 0.5]\n"),
    )
    .unwrap();
    std::fs::write(inputs.join("c_broken.toml"), small.replace("cell_m = 0.1", "cell_m = = 0.1")).unwrap();
    let (code, stdout, stderr) =
        run(&["batch", inputs.to_str().unwrap(), "-o", out.to_str().unwrap(), "--jobs", "2", "--backend", "cpu"]);
    // The only failure is bad input: exit 2.
    assert_eq!(code, 2, "one input is broken: {stdout}{stderr}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(out.join("summary.json")).unwrap())
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["case"] == "c_broken")
            .unwrap()["exit_code"],
        2
    );
    assert!(stdout.contains("6 cases: 5 solved, 0 up to date, 1 failed"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let cases: Vec<&str> = summary.as_array().unwrap().iter().map(|c| c["case"].as_str().unwrap()).collect();
    for want in [
        "a_plain",
        "b_swept__supply_c=18__it_power_scale=1",
        "b_swept__supply_c=18__it_power_scale=0.5",
        "b_swept__supply_c=24__it_power_scale=1",
        "b_swept__supply_c=24__it_power_scale=0.5",
        "c_broken",
    ] {
        assert!(cases.contains(&want), "{want} not in {cases:?}");
    }
    let get = |name: &str| summary.as_array().unwrap().iter().find(|c| c["case"] == name).unwrap().clone();
    assert_eq!(get("c_broken")["status"], "failed");
    assert!(get("c_broken")["error"].as_str().unwrap().contains("c_broken.toml:"));
    // The sweep changes the physics: warmer supply, warmer room; half the IT, cooler.
    let t = |n: &str| get(n)["max_temperature_c"].as_f64().unwrap();
    assert!(t("b_swept__supply_c=24__it_power_scale=1") > t("b_swept__supply_c=18__it_power_scale=1") + 5.0);
    assert!(t("b_swept__supply_c=18__it_power_scale=0.5") < t("b_swept__supply_c=18__it_power_scale=1"));
    assert!(out.join("b_swept__supply_c=24__it_power_scale=0.5.h5").exists() && out.join("a_plain.xmf").exists());
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 7, "{csv}");
    // Second run: everything that succeeded is up to date; a changed input is re-solved.
    std::fs::write(inputs.join("a_plain.toml"), small.replace("air_k_w_mk = 2000.0", "air_k_w_mk = 1500.0")).unwrap();
    let (code, stdout, _) = run(&["batch", inputs.to_str().unwrap(), "-o", out.to_str().unwrap(), "--backend", "cpu"]);
    assert_eq!(code, 2);
    assert!(stdout.contains("6 cases: 1 solved, 4 up to date, 1 failed"), "{stdout}");
    // Anything that changes the answer is part of the resume key: another tolerance
    // re-solves every case; the same tolerance again is up to date.
    let again = |tol: &str| {
        run(&["batch", inputs.to_str().unwrap(), "-o", out.to_str().unwrap(), "--backend", "cpu", "--tol", tol]).1
    };
    assert!(again("1e-8").contains("6 cases: 5 solved, 0 up to date, 1 failed"));
    assert!(again("1e-8").contains("6 cases: 0 solved, 5 up to date, 1 failed"));
    // A tolerance that is not one is bad input, and nothing is solved or marked done.
    let (code, _, stderr) =
        run(&["batch", inputs.to_str().unwrap(), "-o", out.to_str().unwrap(), "--backend", "cpu", "--tol", "inf"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--tol"), "{stderr}");
    // The summaries were written through a temporary file: none is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn batch_over_meshes_resumes() {
    let out = std::env::temp_dir().join(format!("tg-batch-meshes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    // The bundled meshes, hall_xai_h100 (5 M cells) on the potential model: the momentum
    // model, their default, takes 6 min on it on two cores (README, "Larger halls").
    let meshes = std::env::temp_dir().join(format!("tg-batch-meshes-in-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&meshes);
    std::fs::create_dir_all(&meshes).unwrap();
    for e in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("meshes")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let mut text = std::fs::read_to_string(&p).unwrap();
            if p.file_stem().is_some_and(|s| s == "hall_xai_h100") {
                text += "\n[airflow]\nmodel = \"potential\"\n";
            }
            std::fs::write(meshes.join(p.file_name().unwrap()), text).unwrap();
        }
    }
    let (code, stdout, stderr) =
        run(&["batch", meshes.to_str().unwrap(), "-o", out.to_str().unwrap(), "--backend", "cpu"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let n = std::fs::read_dir(&meshes)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "toml"))
        // A campus file is not a case: its halls are (they are in the same folder).
        .filter(|e| !thermogrid::facility::campus::is_campus(&e.as_ref().unwrap().path().display().to_string()))
        .count();
    assert!(stdout.contains(&format!("{n} cases: {n} solved, 0 up to date, 0 failed")), "{stdout}");
    assert!(stderr.contains(&format!("{n}/{n}")), "progress: {stderr}");
    let (code, stdout, _) = run(&["batch", meshes.to_str().unwrap(), "-o", out.to_str().unwrap(), "--backend", "cpu"]);
    assert_eq!(code, 0);
    assert!(stdout.contains(&format!("{n} cases: 0 solved, {n} up to date, 0 failed")), "{stdout}");
    std::fs::remove_dir_all(&out).ok();
    std::fs::remove_dir_all(&meshes).ok();
}
