//! `renewal_kpis.csv`: every renewal KPI row (month, quarter, YTD; everyone,
//! each segment and each owner), sums and the contract's ratios.

use super::csv::field;
use crate::format::{csv_number, csv_opt};
use crate::renewals::RenewalReport;

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
