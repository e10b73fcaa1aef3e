//! The list of result files of a run: `results.json`, one CSV per report
//! table and the KPI feed document `kpis.json`.

use super::csv;
use crate::error::Result;
use crate::pareto::Measure;
use crate::results::Results;

/// `results.json`, one CSV per table and `kpis.json`: (file name, text).
pub fn result_files(results: &Results) -> Result<Vec<(&'static str, String)>> {
    let d = &results.drivers;
    let k = &results.kpis;
    let mut tables: Vec<(&'static str, String)> = vec![
        (
            "results.json",
            serde_json::to_string_pretty(results)? + "\n",
        ),
        ("drivers_univariate.csv", csv::univariate(d)),
        ("drivers_churn_rates.csv", csv::churn_rates(d)),
        ("drivers_model.csv", csv::coefficients(d)),
        ("drivers_tests.csv", csv::driver_tests(d)),
        ("kpis.csv", csv::kpi_feed(&k.feed)),
        ("kpis_accounts.csv", csv::kpi_accounts(&k.accounts)),
    ];
    if let Some(rec) = &k.recommendation {
        tables.push(("kpis_recommendation.csv", csv::kpi_recommendation(rec)));
    }
    if let Some(e) = &k.efficiency {
        tables.push(("kpis_owners.csv", csv::kpi_owners(e)));
    }
    if let Some(p) = &k.periods {
        tables.push(("kpis_periods.csv", csv::kpi_periods(p)));
    }
    if !k.control.is_empty() {
        let charts: Vec<(String, crate::spc::ControlChart)> = k
            .control
            .iter()
            .map(|c| (c.title.clone(), c.chart.clone()))
            .collect();
        tables.push(("control_points.csv", csv::control_points(&charts)));
    }
    if let Some(p) = &results.pareto {
        tables.push((
            "pareto.csv",
            csv::pareto(&p.overall, &[Measure::Frequency, Measure::Revenue]),
        ));
        if !p.segments.is_empty() {
            tables.push(("pareto_segments.csv", csv::pareto_subsets(&p.segments)));
        }
        if let Some(c) = &p.categories {
            tables.push((
                "pareto_categories.csv",
                csv::pareto(&c.categories, &[Measure::Frequency, Measure::Revenue]),
            ));
            tables.push((
                "pareto_within_categories.csv",
                csv::pareto_subsets(&c.within),
            ));
        }
        if let Some(m) = &p.mix_shift {
            tables.push(("pareto_mix_shift.csv", csv::mix_shift(m)));
        }
    }
    if let Some(s) = &results.survival {
        tables.push(("survival_km.csv", csv::km_tables(&s.kaplan_meier.groups)));
        tables.push(("survival_logrank.csv", csv::logrank_tests(s)));
        tables.push(("survival_rmst.csv", csv::rmst(s)));
        if s.cox.is_some() {
            tables.push(("survival_cox.csv", csv::cox_coefficients(s)));
        }
        if s.ph_test.is_some() {
            tables.push(("survival_ph.csv", csv::ph_tests(s)));
        }
    }
    if let Some(r) = &results.renewals {
        tables.push(("renewal_kpis.csv", super::csv_renewals::renewal_kpis(r)));
    }
    if let Some(f) = &results.forward {
        tables.push(("renewals_at_risk.csv", super::csv_renewals::at_risk(f)));
        if let Some(b) = &f.backtest {
            tables.push(("renewals_backtest.csv", super::csv_renewals::backtest(b)));
            tables.push((
                "renewals_validation.csv",
                super::csv_renewals::validation(b),
            ));
        }
    }
    tables.push((
        "kpis.json",
        serde_json::to_string_pretty(&crate::kpis::FeedDoc::of(&results.study, k, None))? + "\n",
    ));
    Ok(tables)
}
