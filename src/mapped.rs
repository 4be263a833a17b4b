//! A text file's contents without copying them: on Linux a regular file is mapped
//! read-only (`mmap`), so reading a 20 MB case costs a few page-table entries instead of
//! a 20 MB copy into fresh memory (25–45 ms on this project's 2-core machine, against
//! about 4 ms mapped); anything else (a pipe, another system, a failed map) is read
//! into memory. [`read_text`] checks that it is UTF-8; [`read_bytes`] leaves that to a
//! reader that checks it while it starts on the bytes.
//!
//! A mapped file must not be truncated by another process while it is read (the
//! reader would fault, as every mmap-based tool does); case files are inputs that
//! nothing rewrites during a run.

/// The contents of a file, not yet checked to be text.
pub enum Bytes {
    Owned(Vec<u8>),
    #[cfg(target_os = "linux")]
    Mapped(Map),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            #[cfg(target_os = "linux")]
            Bytes::Mapped(m) => m.bytes(),
        }
    }
}

/// The contents of a text file.
pub struct Text(Bytes);

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        // SAFETY: checked to be UTF-8 when made (`read_text`); a map is read-only.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
}

/// Read `path` as UTF-8 text, mapped where possible. Errors are `std::io` errors
/// (`InvalidData` for text that is not UTF-8), for the caller to name the file.
pub fn read_text(path: &str) -> std::io::Result<Text> {
    let b = read_bytes(path)?;
    check_utf8(&b)?;
    Ok(Text(b))
}

/// `b` as UTF-8, or the error [`read_text`] gives for a file that is not.
pub fn check_utf8(b: &[u8]) -> std::io::Result<&str> {
    std::str::from_utf8(b)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"))
}

/// Read `path`'s bytes, mapped where possible, without checking that they are text (a
/// reader that checks them itself, while it starts on them: [`check_utf8`]).
pub fn read_bytes(path: &str) -> std::io::Result<Bytes> {
    #[cfg(target_os = "linux")]
    {
        let f = std::fs::File::open(path)?;
        let meta = f.metadata()?;
        // Small files gain nothing; empty ones cannot be mapped.
        if meta.is_file() && meta.len() >= MAP_MIN_BYTES && meta.len() <= isize::MAX as u64 {
            if let Some(m) = Map::new(&f, meta.len() as usize) {
                return Ok(Bytes::Mapped(m));
            }
        }
    }
    std::fs::read(path).map(Bytes::Owned)
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
