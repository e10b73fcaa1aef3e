//! A guarded call into a third-party reader: a panic inside it (polars'
//! Parquet decoder indexes past the end of a truncated page, for one)
//! becomes an input error naming the file, instead of exit 101 and a stack
//! trace. churnlab's own code returns errors; this is for code it does not own.
//!
//! The panic message is kept for the error and not printed: while a guarded
//! call runs, the process-wide panic hook stays quiet (other panics, and
//! panics outside guarded calls, print as before).

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

use crate::error::{Error, Result};

/// Guarded calls in progress (on any thread: readers panic on worker threads).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
/// The last panic message seen while a guarded call was active.
static LAST: Mutex<Option<String>> = Mutex::new(None);
static HOOK: Once = Once::new();

fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if ACTIVE.load(Ordering::SeqCst) > 0 {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown failure".into());
                if let Ok(mut last) = LAST.lock() {
                    *last = Some(message);
                }
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic inside it into [`Error::File`] for `path`:
/// "cannot be read as `what`: the file is damaged or truncated (…)".
///
/// # Errors
/// The error `f` returns, or the panic as an input error.
pub fn guarded<T>(path: &Path, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    install_hook();
    ACTIVE.fetch_add(1, Ordering::SeqCst);
    let out = panic::catch_unwind(AssertUnwindSafe(f));
    ACTIVE.fetch_sub(1, Ordering::SeqCst);
    out.unwrap_or_else(|_| {
        let detail = LAST
            .lock()
            .ok()
            .and_then(|mut l| l.take())
            .unwrap_or_else(|| "unknown failure".into());
        Err(Error::File {
            path: path.to_path_buf(),
            message: format!(
                "cannot be read as {what}: the file is damaged or truncated (the reader stopped with: {detail}); export it again"
            ),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_input_error_naming_the_file() {
        let p = Path::new("broken.parquet");
        let r: Result<()> = guarded(p, "Parquet", || {
            let v: Vec<u8> = Vec::new();
            let i = v.len() + 3;
            let _ = v[..i].len();
            Ok(())
        });
        let e = r.unwrap_err();
        assert!(matches!(e, Error::File { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.contains("broken.parquet"), "{text}");
        assert!(text.contains("damaged or truncated"), "{text}");
        assert!(text.contains("out of range"), "{text}");
        assert_eq!(guarded(p, "Parquet", || Ok(7)).unwrap(), 7);
    }
}
