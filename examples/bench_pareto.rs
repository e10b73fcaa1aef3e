//! Times the Pareto stage alone (both rankings, segment splits, reason-mix
//! test) on an already-loaded study.
//!
//! `cargo run --release --example bench_pareto -- STUDY.toml [REPEAT]`

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: bench_pareto STUDY.toml [REPEAT]")?;
    let repeat: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    let cfg = churnlab::StudyConfig::from_path(std::path::Path::new(&path))?;
    let study = churnlab::load_study(&cfg)?;
    let mut times = Vec::new();
    for _ in 0..repeat {
        let t = Instant::now();
        let r = churnlab::pareto::study_pareto(&study.accounts, &cfg.pareto)?;
        times.push(t.elapsed().as_secs_f64());
        assert!(r.is_some());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "pareto stage on {} accounts ({} churned): median {:.3} s, min {:.3} s over {repeat} runs",
        study.accounts.len(),
        study.accounts.n_churned(),
        times[times.len() / 2],
        times[0]
    );
    Ok(())
}
