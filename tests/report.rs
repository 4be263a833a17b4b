//! `thermogrid report`: the batch report is one self-contained HTML page (no script, no
//! link out) with the ranking, plots against every swept value and heat maps; headless
//! Chromium opens it and its screenshot shows them. Without Chromium the screenshot is
//! skipped, unless THERMOGRID_REQUIRE_CHROMIUM=1 (CI sets it, after
//! `scripts/setup-ci-extras.sh`).

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

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .map(String::from)
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
}

#[test]
fn the_batch_report_ranks_plots_and_maps_in_one_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = std::env::temp_dir().join(format!("tg-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let inputs = d.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for f in ["a_room.toml", "b_broken.toml"] {
        std::fs::copy(root.join("tests/slurm/in").join(f), inputs.join(f)).unwrap();
    }
    let out = d.join("out");
    let (code, so, se) =
        run(&["batch", inputs.to_str().unwrap(), "-o", out.to_str().unwrap(), "--backend", "cpu", "--jobs", "2"]);
    assert_eq!(code, 2, "one input is broken: {so}{se}");
    let html_path = d.join("report.html");
    let (code, so, se) = run(&["report", out.to_str().unwrap(), "-o", html_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{so}{se}");
    assert!(so.contains("13 cases: 12 solved, 1 failed, 0 missing"), "{so}");
    let html = std::fs::read_to_string(&html_path).unwrap();
    // Self-contained: nothing fetched, nothing run.
    assert!(!html.contains("<script") && !html.contains("href=") && !html.contains("src=\"http"), "not self-contained");
    // The ranking: 12 solved cases, best (coolest warmest intake) first.
    let ranking = &html[html.find("<h2>Ranking</h2>").unwrap()..html.find("</table>").unwrap()];
    assert_eq!(ranking.matches("<tr").count(), 13, "a header and 12 rows");
    let intakes: Vec<f64> = ranking
        .split("<tr")
        .skip(2)
        .map(|row| {
            // The first column after the swept values: max intake.
            let cells: Vec<&str> =
                row.split("<td").skip(1).map(|c| c.split('>').nth(1).unwrap().split('<').next().unwrap()).collect();
            cells[4].parse::<f64>().unwrap()
        })
        .collect();
    assert!(intakes.windows(2).all(|w| w[0] <= w[1]), "ranked: {intakes:?}");
    assert!(html.contains("b_broken") && html.contains("Failed and missing cases"));
    // A plot of four results against each of the two swept values; 12 heat maps.
    assert_eq!(html.matches("<svg").count(), 8);
    assert_eq!(html.matches("<img class=\"map\"").count(), 12);
    assert!(html.contains("<h3>supply_c</h3>") && html.contains("<h3>it_power_scale</h3>"));
    // The page is an HTML page.
    let (code, _, se) = run(&["report", out.to_str().unwrap(), "-o", d.join("r.png").to_str().unwrap()]);
    assert_eq!(code, 2, "{se}");
    assert!(se.contains(".html"), "{se}");
    match chromium() {
        None => {
            assert!(
                std::env::var("THERMOGRID_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
                "THERMOGRID_REQUIRE_CHROMIUM=1 but no chromium is installed"
            );
            eprintln!("skipped the screenshot: no chromium (apt-get install chromium)");
        }
        Some(c) => {
            let shot = d.join("shot.png");
            let o = Command::new(&c)
                .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,4000"])
                .arg(format!("--screenshot={}", shot.display()))
                .arg(format!("file://{}", html_path.display()))
                .env("HOME", &d)
                .output()
                .unwrap();
            assert!(shot.exists(), "no screenshot: {}", String::from_utf8_lossy(&o.stderr));
            let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
            let mut reader = dec.read_info().unwrap();
            let mut buf = vec![0; reader.output_buffer_size().unwrap()];
            let info = reader.next_frame(&mut buf).unwrap();
            assert_eq!((info.width, info.height), (1400, 4000));
            let ch = info.color_type.samples();
            let px: std::collections::HashSet<&[u8]> = buf[..info.buffer_size()].chunks(ch).collect();
            // Text, tables and plots give a few hundred colours; the heat maps thousands.
            assert!(px.len() > 1000, "the screenshot has only {} colours: the page did not render", px.len());
            std::fs::copy(&shot, std::env::temp_dir().join("thermogrid-report-screenshot.png")).ok();
        }
    }
    std::fs::remove_dir_all(&d).ok();
}
