//! Safe output: files are written to a temporary name beside their target and
//! renamed into place, so a reader never sees half a file and a failed run
//! leaves nothing behind; existing outputs are never replaced unless asked.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written; it appears at its final path only on [`AtomicFile::commit`].
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `target` (its folder must exist).
    pub fn create(target: &Path) -> Result<Self> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let tmp = target.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let f = File::create(&tmp).map_err(|e| Error::io(&tmp, "cannot create file", e))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            tmp,
            writer: Some(BufWriter::with_capacity(1 << 20, f)),
        })
    }

    /// The buffered writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer
            .as_mut()
            .expect("writer is present until commit")
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> Result<()> {
        let w = self.writer.take().expect("writer is present until commit");
        let f = w
            .into_inner()
            .map_err(|e| Error::io(&self.tmp, "cannot write file", e.into_error()))?;
        f.sync_all()
            .map_err(|e| Error::io(&self.tmp, "cannot write file", e))?;
        fs::rename(&self.tmp, &self.target)
            .map_err(|e| Error::io(&self.target, "cannot move file into place", e))?;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes a whole file atomically.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(target)?;
    f.writer()
        .write_all(bytes)
        .map_err(|e| Error::io(target, "cannot write file", e))?;
    f.commit()
}

/// Refuses to go on when any of `paths` exists, unless `force`.
pub fn ensure_absent(paths: &[PathBuf], force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    match paths.iter().find(|p| p.exists()) {
        Some(p) => Err(Error::OutputExists { path: p.clone() }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        let mut f = AtomicFile::create(&p).unwrap();
        f.writer().write_all(b"hello").unwrap();
        assert!(!p.exists());
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "hello");
        // an abandoned file leaves nothing behind
        let q = dir.path().join("b.txt");
        drop(AtomicFile::create(&q).unwrap());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn existing_output_is_refused_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        fs::write(&p, "1").unwrap();
        assert!(matches!(
            ensure_absent(std::slice::from_ref(&p), false),
            Err(Error::OutputExists { .. })
        ));
        assert!(ensure_absent(&[p], true).is_ok());
    }
}
