//! Times the driver stage alone (univariate tests and rate tables, the
//! logistic model, per-driver LR tests, AMEs, VIFs, correlations) on an
//! already-loaded study. Prints one machine-readable line per run.
//!
//! `cargo run --release --example bench_drivers -- STUDY.toml [REPEAT]`

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: bench_drivers STUDY.toml [REPEAT]")?;
    let repeat: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(3);
    let cfg = churnlab::StudyConfig::from_path(std::path::Path::new(&path))?;
    let study = churnlab::load_study(&cfg)?;
    for _ in 0..repeat {
        let t = Instant::now();
        let r = churnlab::drivers::analyse(&study.accounts, &cfg.analysis)?;
        let secs = t.elapsed().as_secs_f64();
        let m = r.model.as_ref().ok_or("no model")?;
        println!(
            "churnlab drivers_stage_s {secs:.3} n_model {} drivers {} lr_tests {}",
            m.n,
            r.univariate.len(),
            r.drivers.iter().filter(|d| d.p_value.is_some()).count()
        );
    }
    Ok(())
}
