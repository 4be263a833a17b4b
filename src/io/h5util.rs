//! Small helpers over hdf5-metno: units-carrying datasets, string attributes, atomic
//! files.

use hdf5::types::VarLenUnicode;
use hdf5::{Group, Location};
use ndarray::{ArrayView, IxDyn};
use std::path::{Path, PathBuf};

pub type H5Result<T> = hdf5::Result<T>;

/// Turn HDF5's file locking off for this process (unless the user's environment says
/// otherwise), once, before the first file is opened. HDF5 locks every file it opens and
/// its descriptors survive fork + exec, so a file a child process inherited (a parallel
/// test's, a notebook's) would refuse to open. Outputs are written to a private
/// temporary and renamed, so no two writers ever share a file, and reading needs no
/// lock. It is the environment variable, not a file-access property, so that every open
/// in the process (a caller's own `hdf5::File::open` included) agrees: HDF5 refuses to
/// open a file already open with the other locking setting.
pub fn no_file_locking() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("HDF5_USE_FILE_LOCKING").is_none() {
            std::env::set_var("HDF5_USE_FILE_LOCKING", "FALSE");
        }
    });
}

/// Open an HDF5 file to read (file locking off: [`no_file_locking`]).
pub fn open(path: impl AsRef<Path>) -> H5Result<hdf5::File> {
    no_file_locking();
    hdf5::File::open(path)
}

/// Create an HDF5 file (a private temporary; file locking off: [`no_file_locking`]).
pub fn create(path: impl AsRef<Path>) -> H5Result<hdf5::File> {
    no_file_locking();
    hdf5::File::create(path)
}

/// Write a string attribute.
pub fn attr_str(loc: &Location, name: &str, value: &str) -> H5Result<()> {
    let v: VarLenUnicode = value.parse().map_err(|e| hdf5::Error::from(format!("{e:?}")))?;
    loc.new_attr::<VarLenUnicode>().shape(()).create(name)?.write_scalar(&v)
}

/// Write an f64 attribute.
pub fn attr_f64(loc: &Location, name: &str, value: f64) -> H5Result<()> {
    loc.new_attr::<f64>().shape(()).create(name)?.write_scalar(&value)
}

/// Write an integer attribute.
pub fn attr_u64(loc: &Location, name: &str, value: u64) -> H5Result<()> {
    loc.new_attr::<u64>().shape(()).create(name)?.write_scalar(&value)
}

/// Read a string attribute, whichever string type the writer chose.
pub fn read_attr_str(loc: &Location, name: &str) -> Option<String> {
    let a = loc.attr(name).ok()?;
    if let Ok(s) = a.read_scalar::<VarLenUnicode>() {
        return Some(s.as_str().to_string());
    }
    if let Ok(s) = a.read_scalar::<hdf5::types::VarLenAscii>() {
        return Some(s.as_str().to_string());
    }
    if let Ok(s) = a.read_scalar::<hdf5::types::FixedAscii<256>>() {
        return Some(s.as_str().to_string());
    }
    if let Ok(s) = a.read_scalar::<hdf5::types::FixedUnicode<256>>() {
        return Some(s.as_str().to_string());
    }
    None
}

/// Chunk shape: about 64 K elements, never larger than the array.
fn chunk_shape(shape: &[usize]) -> Vec<usize> {
    match shape.len() {
        1 => vec![shape[0].clamp(1, 65536)],
        2 => vec![shape[0].clamp(1, 256), shape[1].clamp(1, 256)],
        _ => {
            let mut c = vec![shape[0].clamp(1, 16)];
            c.extend(shape[1..].iter().map(|&s| s.clamp(1, 64)));
            c
        }
    }
}

/// Write a chunked, deflate-compressed dataset with CF `units` and `long_name`
/// attributes (see [`super::netcdf`] for its dimensions).
pub fn dataset<T: hdf5::H5Type>(
    g: &Group,
    name: &str,
    shape: &[usize],
    data: &[T],
    units: &str,
    long_name: &str,
) -> H5Result<hdf5::Dataset> {
    let view = ArrayView::from_shape(IxDyn(shape), data).map_err(|e| hdf5::Error::from(e.to_string()))?;
    let mut b = g.new_dataset_builder();
    if data.len() > 1 && hdf5::filters::deflate_available() {
        b = b.chunk(chunk_shape(shape)).shuffle().deflate(4);
    }
    let ds = b.with_data(view).create(name)?;
    attr_str(&ds, "units", units)?;
    if !long_name.is_empty() {
        attr_str(&ds, "long_name", long_name)?;
    }
    Ok(ds)
}

/// Write a 1-D UTF-8 string dataset (ids, names; no units, as CF has it for strings).
pub fn string_dataset(g: &Group, name: &str, values: &[String], long_name: &str) -> H5Result<hdf5::Dataset> {
    let v: Vec<VarLenUnicode> = values.iter().map(|s| s.parse().unwrap_or_default()).collect();
    let ds = g.new_dataset_builder().with_data(&v[..]).create(name)?;
    attr_str(&ds, "long_name", long_name)?;
    Ok(ds)
}

/// Path of the temporary file an output is written to before the rename.
pub fn temp_path(out: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "out.h5".into());
    // Unique across threads, processes and machines sharing the directory (shards of a
    // batch on a shared volume, where every container may be process 1).
    let host: String = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    out.with_file_name(format!(".{name}.tmp-{host}-{}-{n}", std::process::id()))
}

/// Write `out` atomically: `write` fills a temporary file in the same directory, which
/// is renamed over `out` only when complete. On any error the temporary is removed and
/// nothing appears at `out`.
pub fn write_atomic(out: &Path, write: impl FnOnce(&hdf5::File) -> H5Result<()>) -> Result<(), String> {
    let tmp = temp_path(out);
    let result = (|| -> Result<(), String> {
        let f = create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        write(&f).map_err(|e| format!("writing {}: {e}", out.display()))?;
        f.close().map_err(|e| format!("closing {}: {e}", out.display()))?;
        std::fs::rename(&tmp, out).map_err(|e| format!("renaming to {}: {e}", out.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write `bytes` to `out` atomically (a temporary file in the same directory, renamed
/// over `out` when complete and flushed); on any error nothing appears at `out`.
pub fn write_file_atomic(out: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let tmp = temp_path(out);
    let result = (|| -> Result<(), String> {
        let mut f = std::fs::File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| format!("writing {}: {e}", out.display()))?;
        std::fs::rename(&tmp, out).map_err(|e| format!("renaming to {}: {e}", out.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Remove the temporary files that killed runs left next to `out` (`.<name>.tmp-<pid>`
/// of a process that no longer exists; where process ids cannot be checked, those older
/// than a day). Returns how many were removed.
pub fn remove_stale_temps(out: &Path) -> usize {
    let Some(name) = out.file_name().map(|n| n.to_string_lossy().to_string()) else { return 0 };
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = format!(".{name}.tmp-");
    let Ok(rd) = std::fs::read_dir(&dir) else { return 0 };
    let mut removed = 0;
    for e in rd.flatten() {
        let fname = e.file_name().to_string_lossy().to_string();
        let Some(pid) = fname.strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid == std::process::id() {
            continue;
        }
        let dead = if cfg!(target_os = "linux") {
            !Path::new(&format!("/proc/{pid}")).exists()
        } else {
            e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 86_400)
        };
        if dead && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Check, before any work, that `out` can be written: its directory exists and accepts
/// a new file. Returns a message naming the problem.
pub fn check_writable(out: &Path) -> Result<(), String> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(format!("directory {} does not exist", dir.display()));
    }
    if out.is_dir() {
        return Err(format!("{} is a directory", out.display()));
    }
    remove_stale_temps(out);
    let probe = temp_path(out);
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!("cannot write in {}: {e}", dir.display())),
    }
}

/// Read every group, attribute and string dataset of `path`, and the shape and type of
/// every other dataset (not its numbers). libhdf5 1.10 can crash the process on some
/// corrupted metadata (a damaged global heap behind a string); the CLI runs this in a
/// child process first, so such a file is reported as bad input instead.
pub fn walk_metadata(path: &Path) -> Result<(), String> {
    fn walk(g: &Group) -> H5Result<()> {
        for name in g.attr_names()? {
            let a = g.attr(&name)?;
            let _ = a.dtype()?.to_descriptor();
            let _ = read_attr_str(g, &name);
        }
        for name in g.member_names()? {
            if let Ok(sub) = g.group(&name) {
                walk(&sub)?;
            } else if let Ok(ds) = g.dataset(&name) {
                let _ = ds.shape();
                for an in ds.attr_names()? {
                    let _ = read_attr_str(&ds, &an);
                }
                if let Ok(hdf5::types::TypeDescriptor::VarLenUnicode | hdf5::types::TypeDescriptor::VarLenAscii) =
                    ds.dtype().and_then(|t| t.to_descriptor())
                {
                    if ds.size() <= 1 << 20 {
                        let _ = ds.read_raw::<VarLenUnicode>();
                    }
                }
            }
        }
        Ok(())
    }
    let f = open(path).map_err(|e| e.to_string())?;
    walk(&f).map_err(|e| e.to_string())
}
