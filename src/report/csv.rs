//! CSV renderings of result tables.

use crate::format::{csv_number, csv_opt};
use crate::pareto::{Measure, Pareto};

pub(super) fn field(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_field(&mut out, s);
    out
}

/// Whether `s` must be quoted as a CSV field.
pub(super) fn needs_quotes(s: &str) -> bool {
    s.bytes().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r'))
}

/// Appends `s` to `out` as one CSV field: quoted, with its quotes doubled,
/// when it holds a comma, a quote or a line break.
pub(super) fn push_field(out: &mut String, s: &str) {
    if needs_quotes(s) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

const PARETO_HEADER: &str =
    "ranking,rank,reason,count,revenue,share,cumulative_share,vital_few,rank_other,kind\n";

/// Both rankings of a Pareto, one row per bar, shares as fractions.
pub fn pareto(p: &Pareto, which: &[Measure]) -> String {
    let mut out = String::from(PARETO_HEADER);
    for &m in which {
        let Some(rows) = p.ranking(m) else { continue };
        let name = match m {
            Measure::Frequency => "frequency",
            Measure::Revenue => "revenue",
        };
        for r in rows {
            out.push_str(&format!(
                "{name},{},{},{},{},{},{},{},{},{}\n",
                r.rank,
                field(&r.reason),
                r.count,
                r.revenue,
                r.share,
                r.cumulative_share,
                r.vital_few,
                r.rank_other,
                serde_json::to_value(r.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            ));
        }
    }
    out
}

/// One Pareto per subset (segment level or category): the subset's column
/// and level, then the columns of [`pareto`].
pub fn pareto_subsets(subsets: &[crate::pareto::SubsetPareto]) -> String {
    let mut out = format!("column,level,{PARETO_HEADER}");
    for s in subsets {
        let prefix = format!("{},{},", field(&s.column), field(&s.level));
        let body = pareto(&s.pareto, &[Measure::Frequency, Measure::Revenue]);
        for line in body.lines().skip(1) {
            out.push_str(&prefix);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The reason-mix shift: the chi-square test on every row, then each reason.
pub fn mix_shift(m: &crate::pareto::MixShift) -> String {
    let mut out = String::from("previous,latest,chi_square,dof,p_value,reason,count_previous,count_latest,share_previous,share_latest,change,adjusted_residual\n");
    for mv in &m.movers {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            field(&m.previous),
            field(&m.latest),
            csv_number(m.test.statistic),
            m.test.dof,
            csv_number(m.test.p_value),
            field(&mv.reason),
            mv.count_previous,
            mv.count_latest,
            csv_number(mv.share_previous),
            csv_number(mv.share_latest),
            csv_number(mv.change),
            csv_number(mv.adjusted_residual)
        ));
    }
    out
}

/// The univariate screening table, one row per driver.
pub fn univariate(r: &crate::drivers::DriverReport) -> String {
    let mut out = String::from("driver,kind,test,statistic,p_value,q_value,effect_size,effect_measure,n,n_missing,n_churned,n_retained,mean_churned,mean_retained,welch_t,welch_p,mann_whitney_u,mann_whitney_p,hedges_g,rank_biserial,chi_square,chi_square_p,fisher_p,cramers_v,odds_ratio,or_ci_low,or_ci_high\n");
    for u in &r.univariate {
        let cells = [
            field(&u.driver),
            u.kind.as_str().into(),
            u.test.clone(),
            csv_number(u.statistic),
            csv_number(u.p_value),
            csv_number(u.q_value),
            csv_number(u.effect_size),
            u.effect_measure.clone(),
            u.n.to_string(),
            u.n_missing.to_string(),
            u.n_churned.to_string(),
            u.n_retained.to_string(),
            csv_opt(u.mean_churned),
            csv_opt(u.mean_retained),
            csv_opt(u.welch.map(|w| w.statistic)),
            csv_opt(u.welch.map(|w| w.p_value)),
            csv_opt(u.mann_whitney.map(|m| m.statistic)),
            csv_opt(u.mann_whitney.map(|m| m.p_value)),
            csv_opt(u.hedges_g),
            csv_opt(u.mann_whitney.map(|m| m.rank_biserial)),
            csv_opt(u.chi_square.as_ref().map(|c| c.statistic)),
            csv_opt(u.chi_square.as_ref().map(|c| c.p_value)),
            csv_opt(u.fisher_p_value),
            csv_opt(u.cramers_v),
            csv_opt(u.odds_ratio.map(|o| o.odds_ratio)),
            csv_opt(u.odds_ratio.map(|o| o.ci_low)),
            csv_opt(u.odds_ratio.map(|o| o.ci_high)),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Churn rate per level / bin of every driver.
pub fn churn_rates(r: &crate::drivers::DriverReport) -> String {
    let mut out = String::from("driver,level,n,churned,rate,ci_low,ci_high\n");
    for u in &r.univariate {
        for row in &u.rates {
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                field(&u.driver),
                field(&row.level),
                row.n,
                row.churned,
                csv_number(row.rate),
                csv_number(row.ci_low),
                csv_number(row.ci_high)
            ));
        }
    }
    out
}

/// The model's coefficient table.
pub fn coefficients(r: &crate::drivers::DriverReport) -> String {
    let mut out = String::from("term,driver,level,estimate,std_error,z,p_value,ci_low,ci_high,odds_ratio,or_ci_low,or_ci_high,vif,sd,ame_pp,ame_se_pp,ame_p_value,ame_per_sd_pp\n");
    let Some(m) = &r.model else { return out };
    for c in &m.coefficients {
        let cells = [
            field(&c.term),
            field(c.driver.as_deref().unwrap_or("")),
            field(c.level.as_deref().unwrap_or("")),
            csv_number(c.estimate),
            csv_number(c.std_error),
            csv_number(c.z),
            csv_number(c.p_value),
            csv_number(c.ci_low),
            csv_number(c.ci_high),
            csv_number(c.odds_ratio),
            csv_number(c.or_ci_low),
            csv_number(c.or_ci_high),
            csv_opt(c.vif),
            csv_opt(c.sd),
            csv_opt(c.ame_pp),
            csv_opt(c.ame_se_pp),
            csv_opt(c.ame_p_value),
            csv_opt(c.ame_per_sd_pp),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Per-driver LR tests and verdict inputs.
pub fn driver_tests(r: &crate::drivers::DriverReport) -> String {
    let mut out = String::from("driver,kind,controllable,indicator,in_model,lr_statistic,df,p_value,q_value,significant,ame_pp,ame_per_sd_pp,univariate_q,univariate_significant,note\n");
    for d in &r.drivers {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            field(&d.driver),
            d.kind.as_str(),
            d.controllable,
            if d.indicator == crate::config::Indicator::Leading {
                "leading"
            } else {
                "lagging"
            },
            d.in_model,
            csv_opt(d.lr_statistic),
            d.df.map_or(String::new(), |v| v.to_string()),
            csv_opt(d.p_value),
            csv_opt(d.q_value),
            d.significant,
            csv_opt(d.ame_pp),
            csv_opt(d.ame_per_sd_pp),
            csv_number(d.univariate_q),
            d.univariate_significant,
            field(d.note.as_deref().unwrap_or(""))
        ));
    }
    out
}

/// The KPI feed: one row per KPI × period × segment; rates as fractions.
pub fn kpi_feed(rows: &[crate::kpis::FeedRow]) -> String {
    let mut out = String::from("kpi,period,grain,segment,value,unit,direction,status,partial,change_prev,change_yoy,q_value,ame,arr_at_stake,definition\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            field(&r.kpi.to_string()),
            field(&r.period),
            r.grain.as_str(),
            field(&r.segment),
            csv_opt(r.value),
            r.unit,
            r.direction.as_str(),
            field(r.status.as_deref().unwrap_or("")),
            r.partial,
            csv_opt(r.change_prev),
            csv_opt(r.change_yoy),
            csv_opt(r.q_value),
            csv_opt(r.ame),
            csv_opt(r.arr_at_stake),
            field(&r.definition)
        ));
    }
    out
}

/// The effectiveness-KPI recommendation, one row per candidate driver.
pub fn kpi_recommendation(r: &crate::kpis::Recommendation) -> String {
    let mut out = String::from("rank,driver,label,verdict,indicator,controllable,q_value,univariate_q,ame,ame_basis,arr_at_stake,churn_avoided,counterfactual,reason\n");
    for c in &r.candidates {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            c.rank.map_or(String::new(), |k| k.to_string()),
            field(&c.driver),
            field(&c.label),
            serde_json::to_value(c.verdict)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            c.indicator.as_str(),
            c.controllable,
            csv_opt(c.q_value),
            csv_number(c.univariate_q),
            csv_opt(c.ame),
            field(c.ame_basis),
            csv_opt(c.arr_at_stake),
            csv_opt(c.churn_avoided),
            field(c.counterfactual.as_deref().unwrap_or("")),
            field(&c.reason)
        ));
    }
    out
}

/// Efficiency KPIs per owner with the funnel limits.
pub fn kpi_owners(e: &crate::kpis::Efficiency) -> String {
    let mut out = String::from(
        "owner,accounts,churned,arr_managed,churned_arr,logo_churn_rate,center,lcl,ucl,z,signal\n",
    );
    for o in &e.owners {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            field(&o.owner),
            o.accounts,
            o.churned,
            csv_opt(o.arr_managed),
            csv_opt(o.churned_arr),
            csv_number(o.logo_churn_rate),
            csv_number(e.center),
            csv_number(o.lcl),
            csv_number(o.ucl),
            csv_number(o.z),
            o.signal.unwrap_or("")
        ));
    }
    out
}

/// Account KPIs overall and per segment.
pub fn kpi_accounts(groups: &[crate::kpis::GroupKpis]) -> String {
    let mut out = String::from("segment,accounts,churned,nps,nps_ci_low,nps_ci_high,nps_responses,nps_response_rate,ttv_median,ttv_p75,ttv_n,means\n");
    for g in groups {
        let means = g
            .means
            .iter()
            .map(|m| format!("{}={}", m.column, m.mean))
            .collect::<Vec<_>>()
            .join("; ");
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            field(&g.key()),
            g.accounts,
            g.churned,
            csv_opt(g.nps.as_ref().map(|n| n.nps)),
            csv_opt(g.nps.as_ref().map(|n| n.ci_low)),
            csv_opt(g.nps.as_ref().map(|n| n.ci_high)),
            g.nps
                .as_ref()
                .map_or(String::new(), |n| n.responses.to_string()),
            csv_opt(g.nps.as_ref().map(|n| n.response_rate)),
            csv_opt(g.time_to_value.as_ref().map(|t| t.median)),
            csv_opt(g.time_to_value.as_ref().map(|t| t.p75)),
            g.time_to_value
                .as_ref()
                .map_or(String::new(), |t| t.n.to_string()),
            field(&means)
        ));
    }
    out
}

/// Period KPIs with their counts and MRR bridge, one row per period.
pub fn kpi_periods(p: &crate::kpis::PeriodKpis) -> String {
    let mut out = String::from("grain,period,start_month,end_month,partial,cohort,churned,new,reactivated,billed_end,starting_mrr,churned_mrr,contraction_mrr,expansion_mrr,new_mrr,reactivation_mrr,ending_mrr,logo_churn_rate,logo_retention,grr,nrr,arpa\n");
    for r in &p.rows {
        let c = &r.counts;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.grain.as_str(),
            field(&r.period),
            r.start_month,
            r.end_month,
            r.partial,
            c.cohort,
            c.churned,
            c.new,
            c.reactivated,
            c.billed_end,
            csv_number(c.starting_mrr),
            csv_number(c.churned_mrr),
            csv_number(c.contraction_mrr),
            csv_number(c.expansion_mrr),
            csv_number(c.new_mrr),
            csv_number(c.reactivation_mrr),
            csv_number(c.ending_mrr),
            csv_opt(r.logo_churn_rate),
            csv_opt(r.logo_retention),
            csv_opt(r.grr),
            csv_opt(r.nrr),
            csv_opt(r.arpa)
        ));
    }
    out
}

/// Control-chart points (and their R/S/MR chart), one row per point.
pub fn control_points(charts: &[(String, crate::spc::ControlChart)]) -> String {
    let mut out = String::from(
        "title,chart,index,label,phase,value,center,lcl,ucl,sigma,baseline,excluded,violations\n",
    );
    let mut push = |title: &str, c: &crate::spc::ControlChart| {
        for p in &c.points {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                field(title),
                c.chart,
                p.index,
                field(&p.label),
                field(&p.phase),
                csv_number(p.value),
                csv_number(p.center),
                csv_number(p.lcl),
                csv_number(p.ucl),
                csv_number(p.sigma),
                p.baseline,
                p.excluded,
                crate::spc::rules::codes(&p.violations, ";")
            ));
        }
    };
    for (t, c) in charts {
        push(t, c);
        if let Some(s) = &c.secondary {
            push(t, s);
        }
    }
    out
}

/// Kaplan–Meier tables, one row per group and time.
pub fn km_tables(groups: &[crate::survival::KmGroup]) -> String {
    let mut out =
        String::from("group,time,at_risk,events,censored,survival,std_error,ci_low,ci_high\n");
    for g in groups {
        for r in &g.table {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                field(&g.group),
                csv_number(r.time),
                r.at_risk,
                r.events,
                r.censored,
                csv_number(r.survival),
                csv_number(r.std_error),
                csv_number(r.ci_low),
                csv_number(r.ci_high)
            ));
        }
    }
    out
}

/// The Cox coefficients.
pub fn cox_coefficients(r: &crate::survival::SurvivalReport) -> String {
    let mut out = String::from("term,driver,estimate,std_error,z,p_value,ci_low,ci_high,hazard_ratio,hr_ci_low,hr_ci_high,sd,hr_per_sd\n");
    for t in r.cox.iter().flat_map(|c| &c.coefficients) {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            field(&t.term),
            field(&t.driver),
            csv_number(t.estimate),
            csv_number(t.std_error),
            csv_number(t.z),
            csv_number(t.p_value),
            csv_number(t.ci_low),
            csv_number(t.ci_high),
            csv_number(t.hazard_ratio),
            csv_number(t.hr_ci_low),
            csv_number(t.hr_ci_high),
            csv_opt(t.sd),
            csv_opt(t.hr_per_sd)
        ));
    }
    out
}

/// The log-rank test of each driver (and of the main grouping).
pub fn logrank_tests(r: &crate::survival::SurvivalReport) -> String {
    let mut out =
        String::from("driver,statistic,df,p_value,stratified_statistic,stratified_p_value\n");
    for d in &r.drivers {
        if let Some(l) = &d.curves.logrank {
            let s = d.curves.stratified_logrank.as_ref();
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                field(&d.driver),
                csv_number(l.statistic),
                l.df,
                csv_number(l.p_value),
                csv_opt(s.map(|x| x.statistic)),
                csv_opt(s.map(|x| x.p_value))
            ));
        }
    }
    out
}

/// The proportional-hazards tests, the global one last.
pub fn ph_tests(r: &crate::survival::SurvivalReport) -> String {
    let mut out = String::from("term,transform,statistic,df,p_value\n");
    if let Some(ph) = &r.ph_test {
        let tr = ph.transform.as_str();
        for t in &ph.terms {
            out.push_str(&format!(
                "{},{tr},{},1,{}\n",
                field(&t.term),
                csv_number(t.statistic),
                csv_number(t.p_value)
            ));
        }
        if let Some(g) = &ph.global {
            out.push_str(&format!(
                "GLOBAL,{tr},{},{},{}\n",
                csv_number(g.statistic),
                g.df,
                csv_number(g.p_value)
            ));
        }
    }
    out
}

/// Restricted mean survival times: the main groups, then each driver's levels.
pub fn rmst(r: &crate::survival::SurvivalReport) -> String {
    let mut out = String::from("driver,group,tau,rmst,std_error\n");
    for x in &r.rmst {
        out.push_str(&format!(
            ",{},{},{},{}\n",
            field(&x.group),
            csv_number(x.tau),
            csv_number(x.rmst),
            csv_number(x.std_error)
        ));
    }
    for d in &r.drivers {
        for x in &d.curves.rmst {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                field(&d.driver),
                field(&x.group),
                csv_number(x.tau),
                csv_number(x.rmst),
                csv_number(x.std_error)
            ));
        }
    }
    out
}
