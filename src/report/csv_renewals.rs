//! The renewals tables: `renewal_kpis.csv` (every renewal KPI row: month,
//! quarter, YTD; everyone, each segment and each owner), the ranked
//! `renewals_at_risk.csv`, and the backtest's `renewals_backtest.csv` and
//! `renewals_validation.csv`.

use std::fmt::Write;

use rayon::prelude::*;

use super::csv::{field, needs_quotes, push_field};
use crate::format::{csv_number, csv_opt, push_csv_number};
use crate::forward::{Backtest, ForwardReport};
use crate::renewals::RenewalReport;
use crate::stats::dist::Z975;

/// One row per period × group, in the report's order.
pub fn renewal_kpis(r: &RenewalReport) -> String {
    let mut out = String::from("grain,period,group,due,renewal_quota,decided,closed_so_far,renewed,renewed_arr_capped,renewed_arr,open,late,late_arr,closed_share,gross_dollar_renewal_rate,net_dollar_renewal_rate,logo_renewal_rate,quota_attainment\n");
    for x in &r.rows {
        let s = &x.sums;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            x.grain.as_str(),
            field(&x.period),
            field(&x.group),
            s.due,
            csv_number(s.quota),
            s.decided,
            csv_number(s.closed),
            s.renewed,
            csv_number(s.renewed_capped),
            csv_number(s.renewed_arr),
            s.open,
            s.late,
            csv_number(s.late_arr),
            csv_opt(x.closed_share),
            csv_opt(x.gross_dollar_renewal_rate),
            csv_opt(x.net_dollar_renewal_rate),
            csv_opt(x.logo_renewal_rate),
            csv_opt(x.quota_attainment)
        ));
    }
    out
}

/// Rows per parallel chunk of the large tables.
const CHUNK: usize = 8192;

/// `header` and then `row` of every item, built chunk by chunk side by side
/// (the at-risk and backtest tables have a row per renewal); `row` also gets
/// a scratch string to build a field in.
fn rows_parallel<T: Sync>(
    header: &str,
    items: &[T],
    row: impl Fn(&mut String, &mut String, &T) + Sync,
) -> String {
    let parts: Vec<String> = items
        .par_chunks(CHUNK)
        .map(|c| {
            let mut s = String::with_capacity(c.len() * 256);
            let mut scratch = String::new();
            for x in c {
                row(&mut s, &mut scratch, x);
            }
            s
        })
        .collect();
    let mut out =
        String::with_capacity(header.len() + parts.iter().map(String::len).sum::<usize>());
    out.push_str(header);
    for p in parts {
        out.push_str(&p);
    }
    out
}

/// `renewals_at_risk.csv`: every open renewal of the current quarter and
/// the next, ranked by expected ARR lost, with its levers (for the CRM).
pub fn at_risk(f: &ForwardReport) -> String {
    let header = "rank,account,owner,renewal_date,arr_due,late,probability,probability_low,probability_high,expected_arr_lost,levers,imputed,beyond_follow_up\n";
    // Lever and imputed texts are made of driver labels and names, numbers
    // and fixed words: when no label or name needs quoting, neither do they.
    let plain = !f
        .drivers
        .iter()
        .any(|d| needs_quotes(&d.label) || needs_quotes(&d.column));
    let push_text = |out: &mut String, t: &str| {
        if plain {
            out.push_str(t);
        } else {
            push_field(out, t);
        }
    };
    rows_parallel(header, &f.all, |out, text, x| {
        let _ = write!(out, "{},", x.rank);
        push_field(out, &x.account);
        out.push(',');
        push_field(out, f.owner(x).unwrap_or(""));
        let _ = write!(out, ",{},", x.risk.due);
        push_csv_number(out, x.risk.arr_due);
        let _ = write!(out, ",{},", x.risk.late);
        for p in [
            x.risk.probability,
            x.risk.probability_low,
            x.risk.probability_high,
            x.risk.expected_arr_lost,
        ] {
            push_csv_number(out, p);
            out.push(',');
        }
        text.clear();
        for (k, l) in x.levers.iter().enumerate() {
            if k > 0 {
                text.push_str("; ");
            }
            f.write_lever(text, l);
        }
        push_text(out, text);
        out.push(',');
        text.clear();
        for (k, &d) in x.imputed.iter().enumerate() {
            if k > 0 {
                text.push_str("; ");
            }
            text.push_str(f.driver_column(d));
        }
        push_text(out, text);
        let _ = writeln!(out, ",{}", x.risk.beyond_follow_up);
    })
}

/// `renewals_backtest.csv`: each renewal of the out-of-time backtest, its
/// outcome and both models' probabilities.
pub fn backtest(b: &Backtest) -> String {
    let header = "account,renewal_date,arr_due,churned,open_at_cutoff,p_out_of_time,p_in_sample\n";
    rows_parallel(header, &b.scored, |out, _, s| {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            field(&s.account),
            s.due,
            csv_number(s.arr_due),
            u8::from(s.churned),
            u8::from(s.open_at_cutoff),
            csv_number(s.out_of_time),
            csv_number(s.in_sample)
        );
    })
}

/// `renewals_validation.csv`: the measures of the backtest, in sample and
/// out of time, one per row; then the calibration deciles.
pub fn validation(b: &Backtest) -> String {
    let mut out = String::from("sample,measure,value,ci_low,ci_high\n");
    for (name, m) in [
        ("out_of_time", &b.out_of_time),
        ("in_sample", &b.in_sample),
        ("out_of_time_all_due", &b.out_of_time_all_due),
    ] {
        let mut row = |k: &str, v: Option<f64>, lo: Option<f64>, hi: Option<f64>| {
            out.push_str(&format!(
                "{name},{k},{},{},{}\n",
                csv_opt(v),
                csv_opt(lo),
                csv_opt(hi)
            ));
        };
        row("renewals", Some(m.n as f64), None, None);
        row("churned", Some(m.events as f64), None, None);
        row("mean_predicted", Some(m.mean_predicted), None, None);
        let d = m.discrimination;
        row(
            "auc",
            d.map(|d| d.auc),
            d.map(|d| d.ci_low),
            d.map(|d| d.ci_high),
        );
        row("auc_se", d.map(|d| d.se), None, None);
        row("brier", Some(m.brier), None, None);
        let c = m.calibration;
        row(
            "calibration_intercept",
            c.map(|c| c.intercept),
            c.map(|c| c.intercept - Z975 * c.intercept_se),
            c.map(|c| c.intercept + Z975 * c.intercept_se),
        );
        row(
            "calibration_slope",
            c.map(|c| c.slope),
            c.map(|c| c.slope_ci_low),
            c.map(|c| c.slope_ci_high),
        );
        row("top_decile_lift", m.top_decile_lift, None, None);
        for (k, bin) in m.deciles.iter().enumerate() {
            row(
                &format!("decile_{}_predicted", k + 1),
                Some(bin.predicted),
                None,
                None,
            );
            row(
                &format!("decile_{}_observed", k + 1),
                Some(bin.observed),
                Some(bin.ci_low),
                Some(bin.ci_high),
            );
        }
    }
    out
}
