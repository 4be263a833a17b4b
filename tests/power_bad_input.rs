//! Bad network input through the CLI: message naming file:line and the item, exit 2,
//! no panic, no output file.

use std::process::Command;

const CASE: &str = "function mpc = t3
mpc.baseMVA = 100;
mpc.bus = [
\t1\t3\t0\t0\t0\t0\t1\t1\t0\t138\t1\t1.1\t0.9;
\t2\t1\t50\t0\t0\t0\t1\t1\t0\t138\t1\t1.1\t0.9;
\t3\t1\t30\t0\t0\t0\t1\t1\t0\t138\t1\t1.1\t0.9;
];
mpc.gen = [
\t1\t0\t0\t0\t0\t1\t100\t1\t200\t0;
];
mpc.branch = [
\t1\t2\t0\t0.1\t0\t100\t0\t0\t0\t0\t1\t-360\t360;
\t2\t3\t0\t0.2\t0\t100\t0\t0\t0\t0\t1\t-360\t360;
];
";

fn run(tag: &str, text: &str) -> (i32, String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("tg-pfbad-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("net.m");
    std::fs::write(&input, text).unwrap();
    let out = dir.join("out.h5");
    let o = Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args(["powerflow", input.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!err.contains("panicked"), "{err}");
    (o.status.code().unwrap_or(-1), err, dir)
}

fn expect_bad(tag: &str, text: &str, needles: &[&str]) {
    let (code, err, dir) = run(tag, text);
    assert_eq!(code, 2, "{tag}: {err}");
    assert!(err.contains("net.m") && err.contains("fix:"), "{tag}: {err}");
    for n in needles {
        assert!(err.contains(n), "{tag}: lacks {n:?}: {err}");
    }
    assert!(!dir.join("out.h5").exists(), "{tag}: output written");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_base_case_solves() {
    let (code, err, dir) = run("ok", CASE);
    assert_eq!(code, 0, "{err}");
    assert!(dir.join("out.h5").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn branch_to_a_missing_bus() {
    expect_bad(
        "missing",
        &CASE.replace("\t2\t3\t0\t0.2", "\t2\t7\t0\t0.2"),
        &["net.m:13:", "branch row 2", "bus 7, which does not exist"],
    );
}

#[test]
fn zero_reactance() {
    expect_bad("x0", &CASE.replace("0\t0.2\t0", "0\t0\t0"), &["net.m:13:", "zero reactance"]);
}

#[test]
fn duplicate_bus_numbers() {
    expect_bad("dup", &CASE.replace("\t3\t1\t30", "\t2\t1\t30"), &["net.m:6:", "duplicate bus number"]);
}

#[test]
fn island_without_reference() {
    let text = CASE.replace("\t2\t3\t0\t0.2\t0\t100\t0\t0\t0\t0\t1", "\t2\t3\t0\t0.2\t0\t100\t0\t0\t0\t0\t0");
    expect_bad("island", &text, &["net.m:6:", "buses 3", "no reference bus"]);
}

#[test]
fn nan_values() {
    expect_bad("nan", &CASE.replace("\t2\t1\t50", "\t2\t1\tNaN"), &["net.m:5:", "PD = NaN"]);
}

#[test]
fn generator_at_an_isolated_bus() {
    let text = CASE
        .replace("mpc.gen = [\n", "mpc.gen = [\n\t3\t10\t0\t0\t0\t1\t100\t1\t50\t0;\n")
        .replace("\t3\t1\t30", "\t3\t4\t30");
    expect_bad("genisolated", &text, &["net.m:9:", "isolated"]);
}

#[test]
fn empty_network() {
    expect_bad("empty", "function mpc = e\nmpc.baseMVA = 100;\nmpc.bus = [];\n", &["no buses"]);
}

#[test]
fn unsupported_syntax() {
    expect_bad("code", &format!("{CASE}mpc.branch(:, 4) = mpc.branch(:, 4) * 2;\n"), &["net.m:15:", "changed by code"]);
    expect_bad(
        "var",
        &CASE.replace("mpc.baseMVA = 100;", "Sbase = 100;\nmpc.baseMVA = Sbase;"),
        &["net.m:2:", "not a data assignment"],
    );
}
