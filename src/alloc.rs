//! The command line's allocator: the system allocator, with every large block
//! (≥ [`HUGE_MIN_BYTES`]) offered to the kernel for transparent huge pages
//! (`madvise(MADV_HUGEPAGE)`, Linux). A one-shot run touches fresh memory once — a
//! 70 k-bus case about 80 MB, a hall's air model hundreds — and on a virtual machine
//! every 4 KiB page fault costs microseconds: with 2 MiB pages the same memory takes
//! 512 times fewer faults. Where the kernel has transparent huge pages off, or on other
//! systems, this is the system allocator unchanged.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this large are advised, bytes (smaller ones rarely span a whole
/// aligned 2 MiB page).
pub const HUGE_MIN_BYTES: usize = 4 << 20;

/// The size of a transparent huge page on x86-64 and most aarch64 kernels, bytes.
const HUGE_PAGE_BYTES: usize = 2 << 20;

/// See the module documentation.
pub struct HugePageAlloc;

/// Advise the whole 2 MiB pages inside `[p, p + size)`; a failure (no THP support) is
/// ignored: the memory is then ordinary memory.
fn advise(p: *mut u8, size: usize) {
    #[cfg(target_os = "linux")]
    {
        let start = (p as usize).div_ceil(HUGE_PAGE_BYTES) * HUGE_PAGE_BYTES;
        let end = (p as usize + size) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
        if end > start {
            // SAFETY: the range lies inside a block this allocator just handed out;
            // MADV_HUGEPAGE changes how its pages are backed, never their contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (p, size);
}

// SAFETY: every call is forwarded to `System` with the same arguments; `advise` only
// changes page backing.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && layout.size() >= HUGE_MIN_BYTES {
            advise(p, layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() && layout.size() >= HUGE_MIN_BYTES {
            advise(p, layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && new_size >= HUGE_MIN_BYTES {
            advise(p, new_size);
        }
        p
    }
}

/// Memory about to be allocated, faulted in ahead on a second thread.
///
/// A one-shot run that builds large structures after reading its input (the DC power
/// flow of a 70 k-bus case: ≈ 6 000 fresh 4 KiB pages, a quarter of its time) pays a
/// page fault per page on the thread doing the work. [`warm_heap`] makes the main
/// heap keep what it is given back (glibc: allocations up to 64 MiB from the heap,
/// never trimmed), reserves `bytes` at its top and hands them straight back, so the
/// next allocations are carved from that range, and has a second thread ask the kernel
/// to fault the range in (`MADV_POPULATE_WRITE`, Linux ≥ 5.14: page tables only,
/// contents untouched, so the main thread may already be using the pages). Dropping
/// the guard waits for that thread. Elsewhere (another C library, an older kernel) it
/// does nothing and the work runs as before.
pub struct WarmHeap(Option<std::thread::JoinHandle<()>>);

impl Drop for WarmHeap {
    fn drop(&mut self) {
        if let Some(h) = self.0.take() {
            let _ = h.join();
        }
    }
}

/// See [`WarmHeap`].
pub fn warm_heap(bytes: usize) -> WarmHeap {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only tunes glibc's allocator; malloc/free are paired here and
        // the block is never read or written; madvise(MADV_POPULATE_WRITE) changes no
        // contents and fails harmlessly on a range no longer mapped.
        unsafe {
            if libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20) == 0
                || libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30) == 0
            {
                return WarmHeap(None);
            }
            let p = libc::malloc(bytes);
            if p.is_null() {
                return WarmHeap(None);
            }
            libc::free(p);
            let page = 4096usize;
            let start = (p as usize).div_ceil(page) * page;
            let end = (p as usize + bytes) / page * page;
            if end <= start {
                return WarmHeap(None);
            }
            let h = std::thread::Builder::new().name("warm-heap".into()).spawn(move || {
                // From the bottom up, in the order the main thread carves the range.
                const CHUNK: usize = 1 << 20;
                let mut a = start;
                while a < end {
                    let len = CHUNK.min(end - a);
                    if libc::madvise(a as *mut libc::c_void, len, libc::MADV_POPULATE_WRITE) != 0 {
                        break;
                    }
                    a += len;
                }
            });
            return WarmHeap(h.ok());
        }
    }
    #[allow(unreachable_code)]
    {
        let _ = bytes;
        WarmHeap(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Memory allocated while the heap is being warmed holds what is written to it, and
    /// the guard waits for the warming thread.
    #[test]
    fn a_warmed_heap_holds_what_is_written() {
        let w = warm_heap(16 << 20);
        let blocks: Vec<Vec<u64>> = (0..64).map(|k| (0..20_000u64).map(|i| i * 31 + k).collect()).collect();
        drop(w);
        for (k, b) in blocks.iter().enumerate() {
            assert!(b.iter().enumerate().all(|(i, &v)| v == i as u64 * 31 + k as u64));
        }
    }

    #[test]
    fn large_and_small_blocks_hold_what_is_written() {
        let a = HugePageAlloc;
        for size in [64, HUGE_MIN_BYTES, 3 * HUGE_MIN_BYTES + 12_345] {
            let l = Layout::from_size_align(size, 64).unwrap();
            unsafe {
                let p = a.alloc_zeroed(l);
                assert!(!p.is_null());
                assert!((0..size).step_by(4093).all(|i| *p.add(i) == 0));
                for i in (0..size).step_by(4093) {
                    *p.add(i) = (i % 251) as u8;
                }
                let q = a.realloc(p, l, 2 * size);
                assert!((0..size).step_by(4093).all(|i| *q.add(i) == (i % 251) as u8));
                a.dealloc(q, Layout::from_size_align(2 * size, 64).unwrap());
            }
        }
    }
}
