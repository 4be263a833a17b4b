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

/// Run a power command (`powerflow`, `contingency`, `timeseries`) on `text` as net.m.
fn run_cmd(tag: &str, text: &str, cmd: &[&str]) -> (i32, String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("tg-pfbad-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("net.m");
    std::fs::write(&input, text).unwrap();
    let out = dir.join("out.h5");
    let mut args: Vec<&str> = vec![cmd[0], input.to_str().unwrap(), "-o", out.to_str().unwrap()];
    args.extend(&cmd[1..]);
    let o = Command::new(env!("CARGO_BIN_EXE_thermogrid")).args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!err.contains("panicked"), "{err}");
    (o.status.code().unwrap_or(-1), err, dir)
}

fn expect_bad_everywhere(tag: &str, text: &str, needles: &[&str]) {
    for cmd in [
        &["powerflow"][..],
        &["contingency", "--backend", "cpu"][..],
        &["timeseries", "--backend", "cpu", "--steps", "10"][..],
    ] {
        let t = format!("{tag}-{}", cmd[0]);
        let (code, err, dir) = run_cmd(&t, text, cmd);
        assert_eq!(code, 2, "{t}: {err}");
        assert!(err.contains("net.m") && err.contains("fix:"), "{t}: {err}");
        for n in needles {
            assert!(err.contains(n), "{t}: lacks {n:?}: {err}");
        }
        assert!(!dir.join("out.h5").exists(), "{t}: output written");
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn every_power_command_refuses_a_generator_at_a_missing_bus() {
    let text = CASE.replace(
        "\t1\t0\t0\t0\t0\t1\t100\t1\t200\t0;",
        "\t1\t0\t0\t0\t0\t1\t100\t1\t200\t0;\n\t8\t5\t0\t0\t0\t1\t100\t1\t50\t0;",
    );
    expect_bad_everywhere("genmissing", &text, &["net.m:10:", "generator row 2", "bus 8, which does not exist"]);
}

#[test]
fn absurd_values_name_row_and_column() {
    // SHIFT = 1e308 once gave −1.3e294 MW with exit 0.
    let shift = CASE.replace("\t2\t3\t0\t0.2\t0\t100\t0\t0\t0\t0\t1", "\t2\t3\t0\t0.2\t0\t100\t0\t0\t0\t1e308\t1");
    expect_bad_everywhere("shift", &shift, &["net.m:13:", "branch row 2", "SHIFT = 1e308 (column 10)", "outside"]);
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("pd", CASE.replace("\t2\t1\t50", "\t2\t1\t1e300"), vec!["net.m:5:", "bus 2", "PD = 1e300 (column 3)"]),
        (
            "va",
            CASE.replace("\t1\t1\t0\t138\t1\t1.1\t0.9;\n\t3", "\t1\t1\t1e9\t138\t1\t1.1\t0.9;\n\t3"),
            vec!["net.m:5:", "VA = 1e9 (column 9)"],
        ),
        (
            "tap",
            CASE.replace("\t2\t3\t0\t0.2\t0\t100\t0\t0\t0", "\t2\t3\t0\t0.2\t0\t100\t0\t0\t-1"),
            vec!["net.m:13:", "TAP = -1 (column 9)"],
        ),
        ("x", CASE.replace("0\t0.2\t0", "0\t1e-300\t0"), vec!["net.m:13:", "BR_X = 1e-300 (column 4)"]),
        ("xinf", CASE.replace("0\t0.2\t0", "0\tInf\t0"), vec!["net.m:13:", "BR_X = inf (column 4) is not finite"]),
        ("rate", CASE.replace("0\t0.2\t0\t100", "0\t0.2\t0\tNaN"), vec!["net.m:13:", "RATE_A = NaN (column 6)"]),
        (
            "ratetiny",
            CASE.replace("0\t0.2\t0\t100", "0\t0.2\t0\t1e-308"),
            vec!["net.m:13:", "RATE_A = 1e-308 (column 6)"],
        ),
        (
            "pg",
            CASE.replace("\t1\t0\t0\t0\t0\t1\t100", "\t1\t-Inf\t0\t0\t0\t1\t100"),
            vec!["net.m:9:", "PG = -inf (column 2)"],
        ),
        ("base0", CASE.replace("mpc.baseMVA = 100;", "mpc.baseMVA = 0;"), vec!["baseMVA = 0"]),
        ("busnum", CASE.replace("\t3\t1\t30", "\t1e300\t1\t30"), vec!["net.m:6:", "bus row 3", "bus number 1e300"]),
        ("selfloop", CASE.replace("\t2\t3\t0\t0.2", "\t3\t3\t0\t0.2"), vec!["net.m:13:", "connects bus 3 to itself"]),
    ];
    for (tag, text, needles) in cases {
        expect_bad(tag, &text, &needles);
    }
}

#[test]
fn large_but_valid_bus_numbers_solve() {
    let text = CASE.replace("\t3\t1\t30", "\t2000000000\t1\t30").replace("\t2\t3\t0\t0.2", "\t2\t2000000000\t0\t0.2");
    let (code, err, dir) = run("bignum", &text);
    assert_eq!(code, 0, "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn deep_parentheses_are_an_error_naming_the_line() {
    // 50 000 nested parentheses once overflowed the stack.
    let deep = format!("{}1{}", "(".repeat(50_000), ")".repeat(50_000));
    let text = CASE.replace("\t2\t1\t50", &format!("\t2\t1\t{deep}"));
    expect_bad("deep", &text, &["net.m:5:", "nested more than 64 levels"]);
    let minus = CASE.replace("\t2\t1\t50", &format!("\t2\t1\t{}50", "-".repeat(50_000)));
    expect_bad("minus", &minus, &["net.m:5:", "nested more than 64 levels"]);
    // A few levels are fine.
    let (code, err, dir) = run("shallow", &CASE.replace("\t2\t1\t50", "\t2\t1\t((((50))))"));
    assert_eq!(code, 0, "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn degenerate_networks() {
    let all4 =
        CASE.replace("\t1\t3\t0", "\t1\t4\t0").replace("\t2\t1\t50", "\t2\t4\t50").replace("\t3\t1\t30", "\t3\t4\t30");
    let all4 = all4.replace("\t1\t0\t0\t0\t0\t1\t100\t1\t200\t0;", "\t1\t0\t0\t0\t0\t1\t100\t0\t200\t0;");
    expect_bad("all4", &all4, &["every bus is isolated"]);
    let noref = CASE.replace("\t1\t0\t0\t0\t0\t1\t100\t1\t200\t0;", "\t1\t0\t0\t0\t0\t1\t100\t0\t200\t0;");
    expect_bad("noref", &noref, &["no bus can be the reference"]);
    let nogen = CASE.replace("mpc.gen = [\n\t1\t0\t0\t0\t0\t1\t100\t1\t200\t0;\n];", "mpc.gen = [];");
    expect_bad("nogen", &nogen, &["reference"]);
    let nobranch = CASE.replace(
        "\t1\t2\t0\t0.1\t0\t100\t0\t0\t0\t0\t1\t-360\t360;\n\t2\t3\t0\t0.2\t0\t100\t0\t0\t0\t0\t1\t-360\t360;\n",
        "",
    );
    expect_bad("nobranch", &nobranch, &["no reference bus"]);
    let short = CASE.replace("\t2\t3\t0\t0.2\t0\t100\t0\t0\t0\t0\t1\t-360\t360;", "\t2\t3\t0\t0.2;");
    expect_bad("short", &short, &["columns"]);
}
