//! `thermogrid render`: a PNG of the right size with the heat map, the colour bar and
//! its labels.

use std::path::Path;

#[test]
fn render_writes_a_heat_map_with_a_labelled_colour_bar() {
    let dir = std::env::temp_dir().join(format!("tg-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let h5 = dir.join("hall.h5");
    let png_path = dir.join("hall.png");
    let bin = env!("CARGO_BIN_EXE_thermogrid");
    let mesh = Path::new(env!("CARGO_MANIFEST_DIR")).join("meshes/hall_small.toml");
    let o = std::process::Command::new(bin)
        .args(["solve", mesh.to_str().unwrap(), "--backend", "cpu", "-o", h5.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success());
    let o = std::process::Command::new(bin)
        .args(["render", h5.to_str().unwrap(), "-o", png_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png_path).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    // 200 × 140 cells fit 1200 × 800: the map is 1143 × 800 px, plus margins.
    assert!(w >= 1200 && w < 1400 && h > 800 && h < 950, "{w}×{h}");
    let px = |x: usize, y: usize| -> [u8; 3] {
        let i = (y * w + x) * 3;
        [buf[i], buf[i + 1], buf[i + 2]]
    };
    // The colour bar (right of the map) runs from dark red at the top to dark blue.
    let bar_x = 20 + 1143 + 16 + 12;
    let (top, bottom) = (px(bar_x, 60), px(bar_x, 56 + 795));
    assert!(top[0] > 100 && top[2] < 30, "top of bar {top:?}");
    assert!(bottom[2] > 40 && bottom[0] < 80, "bottom of bar {bottom:?}");
    // Labels: dark text pixels to the right of the bar, and in the title row.
    let dark = |x0: usize, x1: usize, y0: usize, y1: usize| {
        (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y))).filter(|&(x, y)| px(x, y).iter().all(|&c| c < 80)).count()
    };
    assert!(dark(bar_x + 20, w.min(bar_x + 90), 56, 856) > 100, "no colour-bar labels");
    assert!(dark(20, 600, 10, 40) > 200, "no title");
    std::fs::remove_dir_all(&dir).ok();
}
