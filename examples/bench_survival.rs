//! Times the survival numerics on an already-loaded study, on the complete
//! cases of its eight drivers, and writes those cases to a CSV so that
//! lifelines (`bench/survival_peer.py`) fits exactly the same data:
//!
//! - `km`: Kaplan–Meier with delayed entry, overall and per level of the
//!   two yes/no drivers (5 curves), and the log-rank test of each of the two
//!   (without entry, as lifelines' `logrank_test` has none);
//! - `cox`: the Efron Cox model on the eight drivers with delayed entry,
//!   standard errors and Harrell's concordance;
//! - `stage`: the whole survival stage of `run` (curves and tests for every
//!   driver, Cox with one LR refit per driver, PH test, RMST) for reference.
//!
//! `cargo run --release --example bench_survival -- STUDY.toml REPEAT OUT.csv`

use std::io::Write;
use std::time::Instant;

use churnlab::data::DriverValues;
use churnlab::stats::survival::concordance::concordance;
use churnlab::stats::survival::cox::{self, CoxData, CoxParams, Prepared};
use churnlab::stats::survival::grid::TimeGrid;
use churnlab::stats::survival::km::ConfType;
use churnlab::stats::survival::logrank::Counts;
use churnlab::stats::survival::Subjects;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: bench_survival STUDY.toml REPEAT OUT.csv")?;
    let repeat: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(3);
    let out = args.next().ok_or("OUT.csv missing")?;
    let cfg = churnlab::StudyConfig::from_path(std::path::Path::new(&path))?;
    let study = churnlab::load_study(&cfg)?;
    let dur = study.durations.as_ref().ok_or("no durations")?;
    let drivers = &study.accounts.drivers;
    let cols: Vec<&Vec<f64>> = drivers
        .iter()
        .map(|d| match &d.values {
            DriverValues::Numeric(v) => Ok(v),
            DriverValues::Categorical(_) => Err("categorical driver"),
        })
        .collect::<Result<_, _>>()?;
    let rows: Vec<usize> = (0..dur.exit.len())
        .filter(|&i| dur.exit[i].is_finite() && cols.iter().all(|c| !c[i].is_nan()))
        .collect();
    let exit: Vec<f64> = rows.iter().map(|&i| dur.exit[i]).collect();
    let event: Vec<bool> = rows.iter().map(|&i| dur.event[i]).collect();
    let entry: Vec<f64> = rows
        .iter()
        .map(|&i| dur.entry.as_ref().map_or(0.0, |e| e[i]))
        .collect();
    let x: Vec<Vec<f64>> = cols
        .iter()
        .map(|c| rows.iter().map(|&i| c[i]).collect())
        .collect();
    let binary: Vec<usize> = drivers
        .iter()
        .enumerate()
        .filter(|(_, d)| d.config.kind == churnlab::config::DriverKind::Binary)
        .map(|(k, _)| k)
        .collect();
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&out)?);
        let names: Vec<&str> = drivers.iter().map(|d| d.config.column.as_str()).collect();
        writeln!(f, "T,E,entry,{}", names.join(","))?;
        for j in 0..rows.len() {
            write!(f, "{:?},{},{:?}", exit[j], event[j] as u8, entry[j])?;
            for c in &x {
                write!(f, ",{:?}", c[j])?;
            }
            writeln!(f)?;
        }
    }
    let s = Subjects {
        entry: Some(&entry),
        exit: &exit,
        event: &event,
    };
    // As the survival stage does: the subjects on one grid of exit times,
    // then every curve a counting pass.
    let km_work = || {
        let grid = TimeGrid::new(&s);
        let mut curves = grid.curve(|_| true, ConfType::LogLog).table.len();
        for &k in &binary {
            let g: Vec<u32> = x[k].iter().map(|v| *v as u32).collect();
            // One count of the two groups: their curves (with entry) and
            // their log-rank test (without, as lifelines' logrank_test).
            let tally = grid.tally(&g, 2, true);
            curves += grid
                .curves_of(&tally, ConfType::LogLog)
                .iter()
                .map(|c| c.table.len())
                .sum::<usize>();
            std::hint::black_box(Counts::of_tally(&tally, false).test(&[0, 1]));
        }
        curves
    };
    // One untimed warm-up (thread pool start, first touch of the pages), as
    // the peer script does.
    std::hint::black_box(km_work());
    for _ in 0..repeat {
        let t = Instant::now();
        let curves = km_work();
        let km_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let data = CoxData {
            subjects: s,
            columns: x.iter().map(|c| c.as_slice()).collect(),
            strata: None,
        };
        let pr = Prepared::new(&data);
        let sel: Vec<usize> = (0..x.len()).collect();
        let fit = cox::fit(&pr, &sel, &CoxParams::default()).map_err(|_| "singular")?;
        let c = concordance(&exit, &event, &cox::linear_predictor(&data, &fit)).unwrap_or(f64::NAN);
        let cox_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        if std::env::var_os("CHURNLAB_BENCH_STEPS").is_some() {
            churnlab::timing::enable();
        }
        std::hint::black_box(churnlab::survival::analyse(&study, &cfg, None, None)?);
        let stage_s = t.elapsed().as_secs_f64();
        println!(
            "churnlab km_s {km_s:.3} cox_s {cox_s:.3} stage_s {stage_s:.3} n {} events {} km_rows {curves} iterations {} concordance {c:.6} beta0 {:.9}",
            rows.len(),
            event.iter().filter(|e| **e).count(),
            fit.iterations,
            fit.beta[0]
        );
    }
    Ok(())
}
