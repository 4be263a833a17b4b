//! Progress of the library's long loops, for whoever shows it (the command line draws a
//! bar from it). One global hook, `fn(stage, done, total)`, set by the program; with no
//! hook set, [`report`] does nothing and the library behaves exactly as without it.
//! The library never draws anything itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

/// Told `(stage, done, total)`: `stage` names the loop ("airflow", "time step", …),
/// `done` of `total` steps are done; `total` 0: open-ended (a march that stops when
/// it settles). Called from the loop's thread; keep it quick.
pub type Hook = Box<dyn Fn(&str, u64, u64) + Send + Sync>;

static SET: AtomicBool = AtomicBool::new(false);
static HOOK: RwLock<Option<Hook>> = RwLock::new(None);

/// Install `hook` (replacing any), or remove it with `None`.
pub fn set_hook(hook: Option<Hook>) {
    let mut h = HOOK.write().unwrap_or_else(|e| e.into_inner());
    SET.store(hook.is_some(), Ordering::Release);
    *h = hook;
}

/// Report progress to the hook, if one is set.
pub fn report(stage: &str, done: u64, total: u64) {
    if !SET.load(Ordering::Acquire) {
        return;
    }
    if let Ok(h) = HOOK.read() {
        if let Some(h) = h.as_ref() {
            h(stage, done, total);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    #[test]
    fn the_hook_hears_reports_until_removed() {
        let seen = Arc::new(AtomicU64::new(0));
        let s = seen.clone();
        super::set_hook(Some(Box::new(move |stage, done, total| {
            // Other tests' loops may report meanwhile: count only this one's.
            if (stage, total) == ("progress test", 10) {
                s.fetch_add(done, Ordering::SeqCst);
            }
        })));
        super::report("progress test", 3, 10);
        super::report("progress test", 4, 10);
        super::set_hook(None);
        super::report("progress test", 100, 10);
        assert_eq!(seen.load(Ordering::SeqCst), 7);
    }
}
