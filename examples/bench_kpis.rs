//! Times the KPI stage alone (every month / quarter / TTM / YTD period, the
//! account KPIs overall and per segment, efficiency per owner, and the
//! recommendation with its ARR-at-stake counterfactuals) on an already-loaded
//! study whose driver statistics are already computed. One line per run.
//!
//! `cargo run --release --example bench_kpis -- STUDY.toml [REPEAT]`

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: bench_kpis STUDY.toml [REPEAT]")?;
    let repeat: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(3);
    let cfg = churnlab::StudyConfig::from_path(std::path::Path::new(&path))?;
    let study = churnlab::load_study(&cfg)?;
    let drivers = churnlab::drivers::analyse(&study.accounts, &cfg.analysis)?;
    for _ in 0..repeat {
        let t = Instant::now();
        let r = churnlab::kpis::analyse(&study, Some(&drivers), &cfg);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "churnlab kpis_stage_s {secs:.3} periods {} groups {} owners {}",
            r.periods.as_ref().map_or(0, |p| p.rows.len()),
            r.accounts.len(),
            r.efficiency.as_ref().map_or(0, |e| e.owners.len())
        );
    }
    Ok(())
}
