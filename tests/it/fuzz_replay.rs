//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the
//! fuzz targets' own entry points on stable Rust, so that every input the
//! fuzzers kept (and every crash they found, once fixed) is rerun by CI.

#[path = "../../fuzz/entries.rs"]
mod entries;

use crate::common::repo;

/// Runs every file of one target's corpus, and the crash inputs kept in
/// `fuzz/regressions/<target>/`; the file name is in the panic.
fn replay(target: &str, entry: fn(&[u8])) {
    let dir = repo(&format!("fuzz/corpus/{target}"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    if let Ok(kept) = std::fs::read_dir(repo(&format!("fuzz/regressions/{target}"))) {
        files.extend(kept.map(|e| e.expect("entry").path()));
    }
    files.sort();
    assert!(
        files.len() >= 5,
        "{target}: only {} corpus files",
        files.len()
    );
    for f in &files {
        let data = std::fs::read(f).expect("corpus file");
        let name = f.display().to_string();
        if let Err(p) = std::panic::catch_unwind(|| entry(&data)) {
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{name}: {why}");
        }
    }
}

#[test]
fn config_corpus() {
    replay("config", entries::config);
}

#[test]
fn cells_corpus() {
    replay("cells", entries::cells);
}

#[test]
fn accounts_corpus() {
    replay("accounts", entries::accounts);
}

#[test]
fn revenue_corpus() {
    replay("revenue", entries::revenue);
}

#[test]
fn spc_corpus() {
    replay("spc", entries::spc);
}

#[test]
fn renewals_corpus() {
    replay("renewals", entries::renewals);
}
