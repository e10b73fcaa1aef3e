//! Snapshot tests of the terminal text reports (`insta`): what `validate`,
//! `pareto`, `drivers`, `kpis` and `spc` print on fixed inputs. Run from the
//! repository root with relative paths, so the files they name read the
//! same on every checkout. Review every snapshot change
//! (`tests/it/snapshots/`); a new one is written with `INSTA_UPDATE=always`.

use std::path::Path;

use crate::common::churnlab;

/// Stdout of `churnlab ARGS`, run in the repository root.
fn text(args: &[&str]) -> String {
    let out = churnlab()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .output()
        .expect("churnlab runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn validate_demo() {
    insta::assert_snapshot!(text(&["validate", "--config", "data/demo/study.toml"]));
}

#[test]
fn pareto_demo() {
    insta::assert_snapshot!(text(&["pareto", "--config", "data/demo/study.toml"]));
}

#[test]
fn drivers_demo() {
    insta::assert_snapshot!(text(&["drivers", "--config", "data/demo/study.toml"]));
}

#[test]
fn kpis_textbook() {
    insta::assert_snapshot!(text(&["kpis", "--config", "tests/data/kpis/study.toml"]));
}

#[test]
fn spc_orangejuice_p() {
    insta::assert_snapshot!(text(&[
        "spc",
        "--input",
        "tests/data/spc/orangejuice.csv",
        "--chart",
        "p",
        "--value",
        "D",
        "--size",
        "size",
        "--baseline-rows",
        "1..30",
    ]));
}

#[test]
fn survival_rossi() {
    insta::assert_snapshot!(text(&[
        "survival",
        "--input",
        "tests/data/survival/rossi.csv",
        "--duration",
        "week",
        "--event",
        "arrest",
        "--group",
        "fin",
        "--covariate",
        "fin",
        "age",
        "race",
        "wexp",
        "mar",
        "paro",
        "prio",
        "--unit",
        "weeks",
        "--horizon",
        "13",
        "26",
        "52",
        "--tau",
        "52",
    ]));
}
