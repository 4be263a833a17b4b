//! wgpu's backends are chosen from wgpu's own `WGPU_BACKEND` (the primary ones by
//! default), and the advice when none is found fits the platform.

use std::process::Command;

fn adapters(backend: Option<&str>) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_thermogrid"));
    c.arg("adapters").env("XDG_RUNTIME_DIR", "/tmp");
    match backend {
        Some(b) => c.env("WGPU_BACKEND", b),
        None => c.env_remove("WGPU_BACKEND"),
    };
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn backends_follow_wgpu_backend() {
    let default = adapters(None);
    let vulkan = adapters(Some("vulkan"));
    // The default (primary backends) sees what Vulkan alone sees on Linux, and more
    // nowhere: Metal and DX12 do not exist here.
    assert_eq!(default.lines().count(), vulkan.lines().count(), "{default}\n--\n{vulkan}");
    if std::env::var("THERMOGRID_REQUIRE_GPU").as_deref() == Ok("1") {
        assert!(vulkan.contains("Vulkan"), "CI has lavapipe: {vulkan}");
    }
    // A backend this platform does not have: no adapter, and advice for this platform.
    if cfg!(target_os = "linux") {
        let metal = adapters(Some("metal"));
        assert!(metal.contains("wgpu sees no adapter") && metal.contains("Vulkan driver"), "{metal}");
        assert!(!metal.contains("Metal adapter"), "macOS advice on Linux: {metal}");
    }
}
