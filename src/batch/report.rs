//! `thermogrid report OUTDIR -o report.html`: one self-contained page (no script, no
//! network: CSS, SVG plots and PNG heat maps inline) to compare a batch's cases — a
//! ranking table (coolest warmest intake first), each main result plotted against every
//! swept value, and the heat maps of a selection of cases side by side on one colour
//! scale.

use super::summary::{summarize, Summary};
use super::CaseResult;
use crate::error::{Error, InputError};
use std::fmt::Write;
use std::path::Path;

/// Most heat maps a report shows by default (the best, the worst and evenly spaced
/// ranks between).
pub const DEFAULT_MAPS: usize = 12;

/// Write the report of `outdir` to `out`; `maps` heat maps at most. The summary is
/// merged first (as `thermogrid summarize` does).
pub fn write_report(outdir: &Path, out: &Path, maps: usize) -> Result<Summary, Error> {
    let s = summarize(outdir)?;
    let html = report_html(outdir, &s, maps);
    crate::io::h5util::write_file_atomic(out, html.as_bytes()).map_err(|e| {
        Error::Input(InputError::new(&out.display().to_string(), "report", e, "choose a writable path for -o"))
    })?;
    Ok(s)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Base64 (RFC 4648, with padding).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut o = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                o.push(A[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                o.push('=');
            }
        }
    }
    o
}

/// The solved cases, best first: lowest warmest intake, then fewest racks over 27 °C,
/// then lowest PUE.
fn ranked(rows: &[CaseResult]) -> Vec<&CaseResult> {
    let mut v: Vec<&CaseResult> = rows.iter().filter(|r| r.status == "ok" || r.status == "skipped").collect();
    let key = |r: &CaseResult| r.max_intake_c.unwrap_or(f64::INFINITY);
    v.sort_by(|a, b| {
        key(a)
            .total_cmp(&key(b))
            .then(a.racks_over_27c.cmp(&b.racks_over_27c))
            .then(a.pue.unwrap_or(f64::INFINITY).total_cmp(&b.pue.unwrap_or(f64::INFINITY)))
            .then(a.case.cmp(&b.case))
    });
    v
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}")).unwrap_or_else(|| "–".into())
}

/// The swept keys, in the order they first appear.
fn swept_keys(rows: &[CaseResult]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for r in rows {
        for (k, _) in &r.values {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    keys
}

fn value_of<'a>(r: &'a CaseResult, key: &str) -> Option<&'a str> {
    r.values.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// An SVG scatter plot of `y(r)` against swept `key` (numeric: on a linear axis; else
/// one column per value), with the mean at each value joined by a line.
fn plot(rows: &[&CaseResult], key: &str, y_name: &str, y: &dyn Fn(&CaseResult) -> Option<f64>) -> String {
    let pts: Vec<(&str, f64)> =
        rows.iter().filter_map(|r| Some((value_of(r, key)?, y(r)?))).filter(|p| p.1.is_finite()).collect();
    if pts.is_empty() {
        return String::new();
    }
    let numeric = pts.iter().all(|(v, _)| v.parse::<f64>().is_ok_and(f64::is_finite));
    let mut cats: Vec<&str> = Vec::new();
    for (v, _) in &pts {
        if !cats.contains(v) {
            cats.push(v);
        }
    }
    let xs: Vec<f64> = pts
        .iter()
        .map(
            |(v, _)| {
                if numeric {
                    v.parse().unwrap_or(0.0)
                } else {
                    cats.iter().position(|c| c == v).unwrap_or(0) as f64
                }
            },
        )
        .collect();
    let (mut x0, mut x1) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let (mut y0, mut y1) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
    if x1 <= x0 {
        (x0, x1) = (x0 - 0.5, x1 + 0.5);
    }
    if !numeric {
        (x0, x1) = (-0.5, cats.len() as f64 - 0.5);
    }
    if y1 <= y0 {
        (y0, y1) = (y0 - 0.5, y1 + 0.5);
    }
    let pad = 0.05 * (y1 - y0);
    (y0, y1) = (y0 - pad, y1 + pad);
    let (w, h, l, r, t, b) = (360.0, 240.0, 56.0, 12.0, 24.0, 40.0);
    let px = |x: f64| l + (x - x0) / (x1 - x0) * (w - l - r);
    let py = |v: f64| t + (y1 - v) / (y1 - y0) * (h - t - b);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" class="plot" role="img" aria-label="{} against {}">"#,
        esc(y_name),
        esc(key)
    );
    let _ = write!(
        s,
        r##"<rect x="{l}" y="{t}" width="{}" height="{}" fill="#fafafa" stroke="#999"/>"##,
        w - l - r,
        h - t - b
    );
    // Enough decimals to tell the ticks apart.
    let digits = (2.0 - ((y1 - y0) / 4.0).log10().floor()).clamp(0.0, 6.0) as usize;
    for k in 0..=4 {
        let v = y0 + (y1 - y0) * k as f64 / 4.0;
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" font-size="11" text-anchor="end">{v:.digits$}</text><line x1="{l}" x2="{}" y1="{y}" y2="{y}" stroke="#e4e4e4"/>"##,
            l - 4.0,
            py(v) + 4.0,
            w - r,
            y = py(v)
        );
    }
    let ticks: Vec<(f64, String)> = if numeric {
        let mut u: Vec<f64> = xs.clone();
        u.sort_by(f64::total_cmp);
        u.dedup();
        if u.len() > 8 {
            (0..=4)
                .map(|k| x0 + (x1 - x0) * k as f64 / 4.0)
                .map(|x| (x, format!("{x:.3}").trim_end_matches('0').trim_end_matches('.').to_string()))
                .collect()
        } else {
            u.iter()
                .map(|&x| {
                    (x, pts.iter().zip(&xs).find(|(_, &xx)| xx == x).map(|(p, _)| p.0.to_string()).unwrap_or_default())
                })
                .collect()
        }
    } else {
        cats.iter().enumerate().map(|(i, c)| (i as f64, c.to_string())).collect()
    };
    for (x, label) in &ticks {
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>"#,
            px(*x),
            h - b + 14.0,
            esc(label)
        );
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>"#,
        (l + w - r) / 2.0,
        h - 6.0,
        esc(key)
    );
    let _ = write!(s, r#"<text x="{l}" y="16" font-size="12">{}</text>"#, esc(y_name));
    // The mean at each x, joined.
    let mut groups: Vec<(f64, f64, usize)> = Vec::new();
    for (&x, p) in xs.iter().zip(&pts) {
        match groups.iter_mut().find(|g| g.0 == x) {
            Some(g) => {
                g.1 += p.1;
                g.2 += 1;
            }
            None => groups.push((x, p.1, 1)),
        }
    }
    groups.sort_by(|a, b| a.0.total_cmp(&b.0));
    let line: Vec<String> = groups.iter().map(|g| format!("{:.1},{:.1}", px(g.0), py(g.1 / g.2 as f64))).collect();
    let _ = write!(s, r##"<polyline points="{}" fill="none" stroke="#c03030" stroke-width="2"/>"##, line.join(" "));
    for (&x, p) in xs.iter().zip(&pts) {
        let _ =
            write!(s, r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#2060a0" fill-opacity="0.6"/>"##, px(x), py(p.1));
    }
    s.push_str("</svg>");
    s
}

/// Up to `n` of `len` ranks: all of them, or the first, the last and evenly spaced ones.
fn spread(len: usize, n: usize) -> Vec<usize> {
    if len <= n {
        return (0..len).collect();
    }
    if n <= 1 {
        return vec![0];
    }
    let mut v: Vec<usize> = (0..n).map(|k| (k * (len - 1) + (n - 1) / 2) / (n - 1)).collect();
    v.dedup();
    v
}

fn report_html(outdir: &Path, s: &Summary, maps: usize) -> String {
    let rows = &s.rows;
    let best = ranked(rows);
    let keys = swept_keys(rows);
    let mut h = String::new();
    let title = format!("thermogrid batch report: {}", outdir.display());
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{}</title><style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222}}
h1{{font-size:22px}} h2{{font-size:18px;margin-top:28px}}
table{{border-collapse:collapse;font-size:13px}} th,td{{border:1px solid #ccc;padding:3px 6px;text-align:right}}
th{{background:#eee}} td.l,th.l{{text-align:left}} tr.bad td{{background:#fde8e8}} tr.warn td{{background:#fff6dd}}
.plots,.maps{{display:flex;flex-wrap:wrap;gap:12px}} figure{{margin:0}} figcaption{{font-size:12px;max-width:420px;word-break:break-all}}
img.map{{width:420px;border:1px solid #ccc}} .note{{color:#555;font-size:13px}}
</style></head><body><h1>{}</h1>"#,
        esc(&title),
        esc(&title)
    );
    let _ = write!(
        h,
        r#"<p>{} cases: {} solved, {} failed, {} missing. Ranked by the warmest rack intake (face mean), then racks above 27 °C, then PUE. Rows: <span style="background:#fde8e8">a rack above 32 °C (ASHRAE A1 allowable)</span>, <span style="background:#fff6dd">above 27 °C (recommended)</span>.</p>"#,
        rows.len(),
        rows.len() - s.failed.len() - s.missing.len(),
        s.failed.len(),
        s.missing.len()
    );
    // Ranking.
    h.push_str(r#"<h2>Ranking</h2><table><tr><th>#</th><th class="l">case</th>"#);
    for k in &keys {
        let _ = write!(h, "<th>{}</th>", esc(k));
    }
    h.push_str("<th>max intake °C</th><th>mean intake °C</th><th>racks &gt; 27 °C</th><th>racks &gt; 32 °C</th><th>RCI<sub>HI</sub> %</th><th>units over capacity</th><th>IT MW</th><th>cooling MW</th><th>PUE</th><th>model</th></tr>");
    for (i, r) in best.iter().enumerate() {
        let class = if r.racks_over_32c.unwrap_or(0) > 0 {
            " class=\"bad\""
        } else if r.racks_over_27c.unwrap_or(0) > 0 {
            " class=\"warn\""
        } else {
            ""
        };
        let _ = write!(h, r#"<tr{class}><td>{}</td><td class="l">{}</td>"#, i + 1, esc(&r.case));
        for k in &keys {
            let _ = write!(h, "<td>{}</td>", esc(value_of(r, k).unwrap_or("")));
        }
        let n = |v: Option<usize>| v.map(|x| x.to_string()).unwrap_or_else(|| "–".into());
        let _ = write!(
            h,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            num(r.max_intake_c, 2),
            num(r.mean_intake_c, 2),
            n(r.racks_over_27c),
            n(r.racks_over_32c),
            num(r.rci_hi_pct, 1),
            n(r.overloaded_units),
            num(r.it_mw, 3),
            num(r.cooling_mw, 3),
            num(r.pue, 3),
            esc(r.air_model.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</table>");
    let bad: Vec<&CaseResult> = rows.iter().filter(|r| r.status == "failed" || r.status == "missing").collect();
    if !bad.is_empty() {
        h.push_str(r#"<h2>Failed and missing cases</h2><table><tr><th class="l">case</th><th class="l">status</th><th class="l">error</th></tr>"#);
        for r in bad {
            let _ = write!(
                h,
                r#"<tr class="bad"><td class="l">{}</td><td class="l">{}</td><td class="l">{}</td></tr>"#,
                esc(&r.case),
                esc(&r.status),
                esc(r.error.as_deref().unwrap_or("not run yet: run its shard"))
            );
        }
        h.push_str("</table>");
    }
    // Results against each swept value.
    if !keys.is_empty() && !best.is_empty() {
        h.push_str(r#"<h2>Results against the swept values</h2><p class="note">Dots: cases; line: the mean over the cases at each value.</p>"#);
        let metrics: [(&str, &dyn Fn(&CaseResult) -> Option<f64>); 4] = [
            ("max intake °C", &|r| r.max_intake_c),
            ("mean intake °C", &|r| r.mean_intake_c),
            ("racks > 27 °C", &|r| r.racks_over_27c.map(|n| n as f64)),
            ("PUE", &|r| r.pue),
        ];
        for k in &keys {
            let _ = write!(h, r#"<h3>{}</h3><div class="plots">"#, esc(k));
            for (name, f) in metrics.iter() {
                h.push_str(&plot(&best, k, name, *f));
            }
            h.push_str("</div>");
        }
    }
    // Heat maps on one colour scale.
    let chosen: Vec<(usize, &CaseResult)> = spread(best.len(), maps).into_iter().map(|i| (i, best[i])).collect();
    let planes: Vec<(usize, &CaseResult, crate::io::render::FloorPlane)> = chosen
        .into_iter()
        .filter_map(|(i, r)| crate::io::render::floor_plane(&outdir.join(&r.output)).ok().map(|p| (i, r, p)))
        .collect();
    if !planes.is_empty() {
        let (lo, hi) = planes
            .iter()
            .flat_map(|(_, _, p)| p.t.iter())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let _ = write!(
            h,
            r#"<h2>Heat maps</h2><p class="note">{} of {} solved cases (the best, the worst and ranks between), all on {lo:.1}–{hi:.1} °C.</p><div class="maps">"#,
            planes.len(),
            best.len()
        );
        for (i, r, p) in &planes {
            let img = crate::io::render::draw_image(
                &format!("#{} {}", i + 1, p.what.trim_start_matches(" — ")),
                &p.t,
                p.material.as_deref(),
                p.nx,
                p.ny,
                p.dx,
                lo,
                hi,
                (600.0, 400.0),
                &crate::io::render::Decor::default(),
            );
            if let Ok(bytes) = img.png_bytes() {
                let _ = write!(
                    h,
                    r#"<figure><img class="map" alt="heat map of {}" src="data:image/png;base64,{}"><figcaption>#{} {} · max intake {} °C</figcaption></figure>"#,
                    esc(&r.case),
                    base64(&bytes),
                    i + 1,
                    esc(&r.case),
                    num(r.max_intake_c, 2)
                );
            }
        }
        h.push_str("</div>");
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (i, o) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy")]
        {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn the_spread_keeps_the_best_and_the_worst() {
        assert_eq!(spread(5, 12), vec![0, 1, 2, 3, 4]);
        let s = spread(1000, 12);
        assert_eq!((s[0], *s.last().unwrap(), s.len()), (0, 999, 12));
        assert_eq!(spread(3, 1), vec![0]);
    }
}
