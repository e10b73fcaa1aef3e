//! Property tests (proptest): invariants a statistician would check, on
//! random inputs rather than chosen ones.

use churnlab::data::{Month, Revenue};
use churnlab::kpis::period::period_kpis;
use churnlab::pareto::{pareto, ParetoParams};
use churnlab::spc::{chart, Kind, Options, RuleParams, Series};
use churnlab::stats::logit::{fit, Design, FitOptions};
use churnlab::stats::multitest::{adjust, Correction};
use churnlab::stats::survival::grid::TimeGrid;
use churnlab::stats::survival::km::ConfType;
use churnlab::stats::survival::Subjects;
use churnlab::stats::table2x2::wilson;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Shares sum to 1 and the cumulative share never falls, in both rankings.
    #[test]
    fn pareto_shares_sum_to_one(
        rows in prop::collection::vec((0usize..12, 0.0f64..1e6), 1..300)
    ) {
        let names: Vec<String> = (0..12).map(|k| format!("Reason {k}")).collect();
        let labels: Vec<Option<&str>> = rows.iter().map(|(k, _)| Some(names[*k].as_str())).collect();
        let weights: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let p = pareto(&labels, Some(&weights), &ParetoParams::default()).expect("pareto");
        let mut rankings = vec![p.by_frequency.clone()];
        rankings.extend(p.by_revenue.clone());
        for r in &rankings {
            let total: f64 = r.iter().map(|x| x.share).sum();
            if r.iter().any(|x| x.share > 0.0) {
                prop_assert!((total - 1.0).abs() < 1e-9, "sum {total}");
            }
            for w in r.windows(2) {
                prop_assert!(w[1].cumulative_share >= w[0].cumulative_share - 1e-12);
            }
            prop_assert!(r.iter().all(|x| (0.0..=1.0 + 1e-12).contains(&x.share)));
        }
        prop_assert_eq!(p.by_frequency.iter().map(|x| x.count).sum::<usize>(), rows.len());
    }

    /// Benjamini–Hochberg: q ≥ p, q ≤ 1, and q is monotone in p.
    #[test]
    fn bh_q_at_least_p_and_monotone(p in prop::collection::vec(0.0f64..=1.0, 1..60)) {
        let q = adjust(&p, Correction::Bh);
        for i in 0..p.len() {
            prop_assert!(q[i] >= p[i] - 1e-15 && q[i] <= 1.0);
            for j in 0..p.len() {
                if p[i] < p[j] {
                    prop_assert!(q[i] <= q[j] + 1e-15, "p {} < {} but q {} > {}", p[i], p[j], q[i], q[j]);
                }
            }
        }
    }

    /// Wilson's interval contains k/n and stays in [0, 1].
    #[test]
    fn wilson_contains_estimate(n in 1u64..100_000, frac in 0.0f64..=1.0) {
        let k = ((n as f64) * frac).floor() as u64;
        let (lo, hi) = wilson(k, n);
        let est = k as f64 / n as f64;
        prop_assert!((0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi));
        prop_assert!(lo <= est + 1e-12 && est <= hi + 1e-12, "{lo} {est} {hi}");
    }

    /// An XmR chart's limits are centre ± 3σ; a p chart's are too, with the
    /// lower limit clipped at 0 (and the upper at 1).
    #[test]
    fn control_limits_symmetric_before_clipping(
        v in prop::collection::vec(0.0f64..1000.0, 3..40),
        sizes in prop::collection::vec(50.0f64..500.0, 40)
    ) {
        let labels: Vec<String> = (0..v.len()).map(|i| i.to_string()).collect();
        let opts = |kind| Options {
            kind,
            rules: Vec::new(),
            params: RuleParams::default(),
            baseline: None,
            revise: false,
        };
        let xmr = Series { labels: labels.clone(), values: v.clone(), sizes: None, groups: None, subgroups: None, phases: None };
        let c = chart(&xmr, &opts(Kind::Xmr)).expect("xmr");
        for p in &c.points {
            prop_assert!(((p.ucl - p.center) - (p.center - p.lcl)).abs() <= 1e-9 * (1.0 + p.center.abs()));
        }
        let n: Vec<f64> = sizes[..v.len()].iter().map(|s| s.round()).collect();
        let counts: Vec<f64> = v.iter().zip(&n).map(|(x, n)| (x / 1000.0 * n).floor()).collect();
        let ps = Series { labels, values: counts, sizes: Some(n), groups: None, subgroups: None, phases: None };
        let c = chart(&ps, &opts(Kind::P)).expect("p");
        for p in &c.points {
            prop_assert!((p.ucl - (p.center + 3.0 * p.sigma).min(1.0)).abs() < 1e-12);
            prop_assert!((p.lcl - (p.center - 3.0 * p.sigma).max(0.0)).abs() < 1e-12);
        }
    }

    /// A logistic fit does not depend on the order of the rows.
    #[test]
    fn logistic_fit_ignores_row_order(
        rows in prop::collection::vec((-3.0f64..3.0, 0.0f64..1.0, any::<bool>()), 30..120),
        seed in any::<u64>()
    ) {
        let design = |rows: &[(f64, f64, bool)]| {
            let n = rows.len();
            let mut x = vec![1.0; n];
            x.extend(rows.iter().map(|r| r.0));
            x.extend(rows.iter().map(|r| r.1));
            Design { n, p: 3, x, y: rows.iter().map(|r| r.2 as u8 as f64).collect() }
        };
        let mut shuffled = rows.clone();
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let a = fit(&design(&rows), &[0, 1, 2], &FitOptions::default());
        let b = fit(&design(&shuffled), &[0, 1, 2], &FitOptions::default());
        match (a, b) {
            // Separated samples (no finite optimum) are another test's business.
            (Ok(a), Ok(b)) if a.converged && b.converged => {
                for (x, y) in a.beta.iter().zip(&b.beta) {
                    prop_assert!((x - y).abs() <= 1e-6 * (1.0 + x.abs()), "{:?} {:?}", a.beta, b.beta);
                }
                prop_assert!((a.log_likelihood - b.log_likelihood).abs() <= 1e-8 * (1.0 + a.log_likelihood.abs()));
            }
            (Ok(a), Ok(b)) => prop_assert_eq!(a.converged, b.converged),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "one order fits, the other not: {:?} {:?}", a.is_ok(), b.is_ok()),
        }
    }

    /// Kaplan–Meier survival starts at most 1, never rises, stays in [0, 1],
    /// and its interval contains it.
    #[test]
    fn km_is_a_survival_curve(
        rows in prop::collection::vec((1u8..30, 0u8..10, any::<bool>()), 1..200)
    ) {
        let exit: Vec<f64> = rows.iter().map(|r| r.0 as f64).collect();
        let entry: Vec<f64> = rows.iter().map(|r| (r.1 as f64).min(r.0 as f64 - 1.0)).collect();
        let event: Vec<bool> = rows.iter().map(|r| r.2).collect();
        let s = Subjects { entry: Some(&entry), exit: &exit, event: &event };
        let km = TimeGrid::new(&s).curve(|_| true, ConfType::LogLog);
        let mut last = 1.0;
        for r in &km.table {
            prop_assert!(r.survival <= last + 1e-15 && r.survival >= 0.0);
            prop_assert!(r.ci_low <= r.survival + 1e-12 && r.survival <= r.ci_high + 1e-12);
            last = r.survival;
        }
    }

    /// The retention identities of the data contract hold in every month,
    /// quarter, TTM and YTD row of a random MRR table: GRR in [0, 1],
    /// NRR − GRR = expansion ÷ starting MRR, logo churn = churned ÷ cohort,
    /// and the MRR bridge (start − churned − contraction + expansion + new +
    /// reactivation = end). The counts are checked against a direct count.
    #[test]
    fn kpi_identities_hold(
        n_months in 2usize..16,
        cells in prop::collection::vec(prop::option::of(prop_oneof![Just(0.0f64), 1.0f64..5e4]), 16..640)
    ) {
        let n_accounts = cells.len() / n_months;
        let dense: Vec<f64> = cells[..n_accounts * n_months]
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect();
        let n_rows = dense.iter().filter(|v| !v.is_nan()).count();
        let first = Month::new(2023, 11);
        let rev = Revenue::from_dense("p.csv".into(), first, n_months, n_rows, &dense);
        let kpis = period_kpis(&rev);
        prop_assert!(!kpis.rows.is_empty());
        let billed = |a: usize, m: usize| {
            let v = dense[a * n_months + m];
            if v > 0.0 { v } else { 0.0 }
        };
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        for r in &kpis.rows {
            let k = &r.counts;
            let (s, e) = ((r.start_month.0 - first.0) as usize, (r.end_month.0 - first.0) as usize);
            let cohort = (0..n_accounts).filter(|&a| billed(a, s) > 0.0).count();
            let churned = (0..n_accounts).filter(|&a| billed(a, s) > 0.0 && billed(a, e) == 0.0).count();
            let start: f64 = (0..n_accounts).map(|a| billed(a, s)).sum();
            let end: f64 = (0..n_accounts).map(|a| billed(a, e)).sum();
            prop_assert_eq!((k.cohort, k.churned), (cohort, churned), "{:?} {}", r.grain, r.period);
            prop_assert!(close(k.starting_mrr, start) && close(k.ending_mrr, end));
            let bridge = k.starting_mrr - k.churned_mrr - k.contraction_mrr
                + k.expansion_mrr + k.new_mrr + k.reactivation_mrr;
            prop_assert!(close(bridge, k.ending_mrr), "bridge {} vs end {}", bridge, k.ending_mrr);
            match (r.grr, r.nrr, r.logo_churn_rate) {
                (Some(grr), Some(nrr), Some(churn)) => {
                    prop_assert!(cohort > 0);
                    prop_assert!((-1e-12..=1.0 + 1e-12).contains(&grr), "GRR {}", grr);
                    prop_assert!(nrr >= grr - 1e-12);
                    prop_assert!(close(nrr - grr, k.expansion_mrr / k.starting_mrr));
                    prop_assert_eq!(churn, churned as f64 / cohort as f64);
                }
                (None, None, None) => prop_assert_eq!(cohort, 0),
                other => prop_assert!(false, "some ratios defined, others not: {:?}", other),
            }
        }
    }
}
