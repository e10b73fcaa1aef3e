//! The list of result files of a run: `results.json`, one CSV per report
//! table and the KPI feed document `kpis.json`.

use rayon::prelude::*;

use super::csv;
use crate::error::Result;
use crate::pareto::Measure;
use crate::results::Results;

/// `results.json`, one CSV per table and `kpis.json`: (file name, text).
pub fn result_files(results: &Results) -> Result<Vec<(&'static str, String)>> {
    let d = &results.drivers;
    let k = &results.kpis;
    let mut tables: Vec<(&'static str, Job)> = vec![
        (
            "results.json",
            Box::new(|| Ok(serde_json::to_string_pretty(results)? + "\n")),
        ),
        ("drivers_univariate.csv", ok(|| csv::univariate(d))),
        ("drivers_churn_rates.csv", ok(|| csv::churn_rates(d))),
        ("drivers_model.csv", ok(|| csv::coefficients(d))),
        ("drivers_tests.csv", ok(|| csv::driver_tests(d))),
        ("kpis.csv", ok(|| csv::kpi_feed(&k.feed))),
        ("kpis_accounts.csv", ok(|| csv::kpi_accounts(&k.accounts))),
    ];
    if let Some(rec) = &k.recommendation {
        tables.push((
            "kpis_recommendation.csv",
            ok(|| csv::kpi_recommendation(rec)),
        ));
    }
    if let Some(e) = &k.efficiency {
        tables.push(("kpis_owners.csv", ok(|| csv::kpi_owners(e))));
    }
    if let Some(p) = &k.periods {
        tables.push(("kpis_periods.csv", ok(|| csv::kpi_periods(p))));
    }
    if !k.control.is_empty() {
        tables.push((
            "control_points.csv",
            ok(|| {
                let charts: Vec<(String, crate::spc::ControlChart)> = k
                    .control
                    .iter()
                    .map(|c| (c.title.clone(), c.chart.clone()))
                    .collect();
                csv::control_points(&charts)
            }),
        ));
    }
    if let Some(p) = &results.pareto {
        tables.push((
            "pareto.csv",
            ok(|| csv::pareto(&p.overall, &[Measure::Frequency, Measure::Revenue])),
        ));
        if !p.segments.is_empty() {
            tables.push((
                "pareto_segments.csv",
                ok(|| csv::pareto_subsets(&p.segments)),
            ));
        }
        if let Some(c) = &p.categories {
            tables.push((
                "pareto_categories.csv",
                ok(|| csv::pareto(&c.categories, &[Measure::Frequency, Measure::Revenue])),
            ));
            tables.push((
                "pareto_within_categories.csv",
                ok(|| csv::pareto_subsets(&c.within)),
            ));
        }
        if let Some(m) = &p.mix_shift {
            tables.push(("pareto_mix_shift.csv", ok(|| csv::mix_shift(m))));
        }
    }
    if let Some(s) = &results.survival {
        tables.push((
            "survival_km.csv",
            ok(|| csv::km_tables(&s.kaplan_meier.groups)),
        ));
        tables.push(("survival_logrank.csv", ok(|| csv::logrank_tests(s))));
        tables.push(("survival_rmst.csv", ok(|| csv::rmst(s))));
        if s.cox.is_some() {
            tables.push(("survival_cox.csv", ok(|| csv::cox_coefficients(s))));
        }
        if s.ph_test.is_some() {
            tables.push(("survival_ph.csv", ok(|| csv::ph_tests(s))));
        }
    }
    if let Some(r) = &results.renewals {
        tables.push((
            "renewal_kpis.csv",
            ok(|| super::csv_renewals::renewal_kpis(r)),
        ));
    }
    if let Some(f) = &results.forward {
        tables.push((
            "renewals_at_risk.csv",
            ok(|| super::csv_renewals::at_risk(f)),
        ));
        if let Some(b) = &f.backtest {
            tables.push((
                "renewals_backtest.csv",
                ok(|| super::csv_renewals::backtest(b)),
            ));
            tables.push((
                "renewals_validation.csv",
                ok(|| super::csv_renewals::validation(b)),
            ));
        }
    }
    tables.push((
        "kpis.json",
        Box::new(|| {
            Ok(
                serde_json::to_string_pretty(&crate::kpis::FeedDoc::of(&results.study, k, None))?
                    + "\n",
            )
        }),
    ));
    tables
        .into_par_iter()
        .map(|(name, job)| Ok((name, job()?)))
        .collect()
}

/// One result file's text, built on its own thread.
type Job<'a> = Box<dyn FnOnce() -> Result<String> + Send + 'a>;

/// A job that cannot fail.
fn ok<'a>(f: impl FnOnce() -> String + Send + 'a) -> Job<'a> {
    Box::new(move || Ok(f()))
}
