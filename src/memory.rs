//! How much memory this process may use: every large allocation (grids, time series,
//! N-1 matrices, sweeps, snapshots, fields files) is estimated first and refused as bad
//! input, naming the size, when the estimate exceeds this.

/// Memory a command may use, bytes: `MemAvailable` from /proc/meminfo (16 GiB if
/// unknown), less where the process is held to less: its address-space limit
/// (`ulimit -v`, less what it already maps) and its cgroup's `memory.max` (less what the
/// cgroup uses).
pub fn available_bytes() -> u64 {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let field_kb = |text: &str, key: &str| -> Option<u64> {
        text.lines().find(|l| l.starts_with(key)).and_then(|l| l[key.len()..].split_whitespace().next()?.parse().ok())
    };
    let mut avail = read("/proc/meminfo")
        .and_then(|s| field_kb(&s, "MemAvailable:"))
        .map(|kb| kb.saturating_mul(1024))
        .unwrap_or(16 << 30);
    if let Some(limit) = read("/proc/self/limits").and_then(|s| field_kb(&s, "Max address space")) {
        let mapped = read("/proc/self/status").and_then(|s| field_kb(&s, "VmSize:")).unwrap_or(0).saturating_mul(1024);
        avail = avail.min(limit.saturating_sub(mapped));
    }
    let cgroup = read("/proc/self/cgroup")
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("0::").map(|p| p.trim().to_string())));
    if let Some(cg) = cgroup {
        let dir = format!("/sys/fs/cgroup{cg}");
        let num = |f: &str| read(&format!("{dir}/{f}")).and_then(|s| s.trim().parse::<u64>().ok());
        if let (Some(max), Some(cur)) = (num("memory.max"), num("memory.current")) {
            avail = avail.min(max.saturating_sub(cur));
        }
    }
    avail
}
