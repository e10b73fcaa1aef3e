//! CSV renderings of result tables.

use crate::pareto::{Measure, Pareto};

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
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
            num(m.test.statistic),
            m.test.dof,
            num(m.test.p_value),
            field(&mv.reason),
            mv.count_previous,
            mv.count_latest,
            num(mv.share_previous),
            num(mv.share_latest),
            num(mv.change),
            num(mv.adjusted_residual)
        ));
    }
    out
}

fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), num)
}

/// The univariate screening table, one row per driver.
pub fn univariate(r: &crate::drivers::DriverReport) -> String {
    let mut out = String::from("driver,kind,test,statistic,p_value,q_value,effect_size,effect_measure,n,n_missing,n_churned,n_retained,mean_churned,mean_retained,welch_t,welch_p,mann_whitney_u,mann_whitney_p,hedges_g,rank_biserial,chi_square,chi_square_p,fisher_p,cramers_v,odds_ratio,or_ci_low,or_ci_high\n");
    for u in &r.univariate {
        let cells = [
            field(&u.driver),
            u.kind.as_str().into(),
            u.test.clone(),
            num(u.statistic),
            num(u.p_value),
            num(u.q_value),
            num(u.effect_size),
            u.effect_measure.clone(),
            u.n.to_string(),
            u.n_missing.to_string(),
            u.n_churned.to_string(),
            u.n_retained.to_string(),
            opt(u.mean_churned),
            opt(u.mean_retained),
            opt(u.welch.map(|w| w.statistic)),
            opt(u.welch.map(|w| w.p_value)),
            opt(u.mann_whitney.map(|m| m.statistic)),
            opt(u.mann_whitney.map(|m| m.p_value)),
            opt(u.hedges_g),
            opt(u.mann_whitney.map(|m| m.rank_biserial)),
            opt(u.chi_square.as_ref().map(|c| c.statistic)),
            opt(u.chi_square.as_ref().map(|c| c.p_value)),
            opt(u.fisher_p_value),
            opt(u.cramers_v),
            opt(u.odds_ratio.map(|o| o.odds_ratio)),
            opt(u.odds_ratio.map(|o| o.ci_low)),
            opt(u.odds_ratio.map(|o| o.ci_high)),
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
                num(row.rate),
                num(row.ci_low),
                num(row.ci_high)
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
            num(c.estimate),
            num(c.std_error),
            num(c.z),
            num(c.p_value),
            num(c.ci_low),
            num(c.ci_high),
            num(c.odds_ratio),
            num(c.or_ci_low),
            num(c.or_ci_high),
            opt(c.vif),
            opt(c.sd),
            opt(c.ame_pp),
            opt(c.ame_se_pp),
            opt(c.ame_p_value),
            opt(c.ame_per_sd_pp),
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
            opt(d.lr_statistic),
            d.df.map_or(String::new(), |v| v.to_string()),
            opt(d.p_value),
            opt(d.q_value),
            d.significant,
            opt(d.ame_pp),
            opt(d.ame_per_sd_pp),
            num(d.univariate_q),
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
            field(&r.kpi),
            field(&r.period),
            r.grain,
            field(&r.segment),
            opt(r.value),
            r.unit,
            r.direction.as_str(),
            field(r.status.as_deref().unwrap_or("")),
            r.partial,
            opt(r.change_prev),
            opt(r.change_yoy),
            opt(r.q_value),
            opt(r.ame),
            opt(r.arr_at_stake),
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
            opt(c.q_value),
            num(c.univariate_q),
            opt(c.ame),
            field(c.ame_basis),
            opt(c.arr_at_stake),
            opt(c.churn_avoided),
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
            opt(o.arr_managed),
            opt(o.churned_arr),
            num(o.logo_churn_rate),
            num(e.center),
            num(o.lcl),
            num(o.ucl),
            num(o.z),
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
            opt(g.nps.as_ref().map(|n| n.nps)),
            opt(g.nps.as_ref().map(|n| n.ci_low)),
            opt(g.nps.as_ref().map(|n| n.ci_high)),
            g.nps
                .as_ref()
                .map_or(String::new(), |n| n.responses.to_string()),
            opt(g.nps.as_ref().map(|n| n.response_rate)),
            opt(g.time_to_value.as_ref().map(|t| t.median)),
            opt(g.time_to_value.as_ref().map(|t| t.p75)),
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
            num(c.starting_mrr),
            num(c.churned_mrr),
            num(c.contraction_mrr),
            num(c.expansion_mrr),
            num(c.new_mrr),
            num(c.reactivation_mrr),
            num(c.ending_mrr),
            opt(r.logo_churn_rate),
            opt(r.logo_retention),
            opt(r.grr),
            opt(r.nrr),
            opt(r.arpa)
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
                num(p.value),
                num(p.center),
                num(p.lcl),
                num(p.ucl),
                num(p.sigma),
                p.baseline,
                p.excluded,
                p.violations
                    .iter()
                    .map(|r| r.code())
                    .collect::<Vec<_>>()
                    .join(";")
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
