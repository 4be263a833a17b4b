//! A text file's contents without copying them: on Linux a regular file is mapped
//! read-only (`mmap`), so reading a 20 MB case costs a few page-table entries instead of
//! a 20 MB copy into fresh memory (25–45 ms on this project's 2-core machine, against
//! about 4 ms mapped); anything else (a pipe, another system, a failed map) is read
//! into a `String`. The text is checked to be UTF-8 either way.
//!
//! A mapped file must not be truncated by another process while it is read (the
//! reader would fault, as every mmap-based tool does); case files are inputs that
//! nothing rewrites during a run.

/// The contents of a text file.
pub enum Text {
    Owned(String),
    #[cfg(target_os = "linux")]
    Mapped(Map),
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Owned(s) => s,
            #[cfg(target_os = "linux")]
            Text::Mapped(m) => m.as_str(),
        }
    }
}

/// Read `path` as UTF-8 text, mapped where possible. Errors are `std::io` errors
/// (`InvalidData` for text that is not UTF-8), for the caller to name the file.
pub fn read_text(path: &str) -> std::io::Result<Text> {
    #[cfg(target_os = "linux")]
    {
        let f = std::fs::File::open(path)?;
        let meta = f.metadata()?;
        // Small files gain nothing; empty ones cannot be mapped.
        if meta.is_file() && meta.len() >= MAP_MIN_BYTES && meta.len() <= isize::MAX as u64 {
            if let Some(m) = Map::new(&f, meta.len() as usize) {
                if std::str::from_utf8(m.bytes()).is_err() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "stream did not contain valid UTF-8",
                    ));
                }
                return Ok(Text::Mapped(m));
            }
        }
    }
    std::fs::read_to_string(path).map(Text::Owned)
}

/// Files at least this large are mapped, bytes.
#[cfg(target_os = "linux")]
const MAP_MIN_BYTES: u64 = 1 << 20;

/// A read-only private mapping of a whole file, unmapped on drop.
#[cfg(target_os = "linux")]
pub struct Map {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value.
#[cfg(target_os = "linux")]
unsafe impl Send for Map {}
#[cfg(target_os = "linux")]
unsafe impl Sync for Map {}

#[cfg(target_os = "linux")]
impl Map {
    fn new(f: &std::fs::File, len: usize) -> Option<Map> {
        use std::os::unix::io::AsRawFd;
        // SAFETY: a fresh read-only private mapping of `len` bytes of an open file;
        // the result is checked before use.
        let ptr =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, f.as_raw_fd(), 0) };
        (ptr != libc::MAP_FAILED).then_some(Map { ptr, len })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }

    fn as_str(&self) -> &str {
        // SAFETY: checked to be UTF-8 when the map was made (`read_text`), and mapped
        // read-only.
        unsafe { std::str::from_utf8_unchecked(self.bytes()) }
    }
}

#[cfg(target_os = "linux")]
impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping made in `new`.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_files_read_the_same_as_read_to_string() {
        let dir = std::env::temp_dir().join(format!("tg_mapped_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for size in [0usize, 10, 3 << 20] {
            let p = dir.join(format!("f{size}.txt"));
            let text: String = (0..size).map(|k| (b'a' + (k % 26) as u8) as char).collect();
            std::fs::write(&p, &text).unwrap();
            let t = read_text(p.to_str().unwrap()).unwrap();
            assert_eq!(&*t, text.as_str());
        }
        let bad = dir.join("bad.txt");
        let mut bytes = vec![b'a'; 2 << 20];
        bytes[12345] = 0xff;
        std::fs::write(&bad, &bytes).unwrap();
        let e = read_text(bad.to_str().unwrap()).err().unwrap();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(read_text(dir.join("missing").to_str().unwrap()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
