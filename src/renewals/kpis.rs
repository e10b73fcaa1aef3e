//! Renewal KPIs per month, quarter and year to date, overall and per
//! segment and owner, with the data contract's definitions (§5): sums over
//! the renewals whose renewal date falls in the period.

use serde::Serialize;

use crate::config::Grain;
use crate::data::renewals::{Outcome, Renewals};
use crate::data::{Accounts, Categorical, Month, MISSING};

/// Sums over the renewals of one period and group (money in ARR).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RenewalSums {
    /// Renewals due in the period.
    pub due: usize,
    /// Σ ARR due: the renewal quota.
    pub quota: f64,
    /// Renewals decided (renewed or churned).
    pub decided: usize,
    /// Σ ARR due of the decided renewals: closed so far.
    pub closed: f64,
    pub renewed: usize,
    /// Σ min(renewed ARR, ARR due) over the renewed.
    pub renewed_capped: f64,
    /// Σ renewed ARR over the renewed (upsell included).
    pub renewed_arr: f64,
    pub open: usize,
    /// Open renewals whose renewal date is before the as-of date.
    pub late: usize,
    /// Σ ARR due of the late renewals.
    pub late_arr: f64,
}

impl RenewalSums {
    /// Adds one renewal.
    pub fn add_one(&mut self, arr_due: f64, outcome: Outcome, renewed_arr: f64, late: bool) {
        self.due += 1;
        self.quota += arr_due;
        match outcome {
            Outcome::Open => {
                self.open += 1;
                if late {
                    self.late += 1;
                    self.late_arr += arr_due;
                }
            }
            decided => {
                self.decided += 1;
                self.closed += arr_due;
                if decided == Outcome::Renewed {
                    self.renewed += 1;
                    self.renewed_capped += renewed_arr.min(arr_due);
                    self.renewed_arr += renewed_arr;
                }
            }
        }
    }

    /// Adds another group's or period's sums.
    pub fn add(&mut self, o: &RenewalSums) {
        self.due += o.due;
        self.quota += o.quota;
        self.decided += o.decided;
        self.closed += o.closed;
        self.renewed += o.renewed;
        self.renewed_capped += o.renewed_capped;
        self.renewed_arr += o.renewed_arr;
        self.open += o.open;
        self.late += o.late;
        self.late_arr += o.late_arr;
    }
}

/// One period × group: its sums and the contract's ratios (`None` when the
/// denominator is zero).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenewalRow {
    pub grain: Grain,
    /// `2024-05`, `2024-Q2`; for YTD the end month.
    pub period: String,
    /// The period's last month.
    pub end_month: Month,
    /// `all`, or `column=level` of a segment or the owner.
    pub group: String,
    /// The group is one owner's accounts.
    #[serde(skip)]
    pub by_owner: bool,
    #[serde(flatten)]
    pub sums: RenewalSums,
    /// Closed so far ÷ renewal quota.
    pub closed_share: Option<f64>,
    /// Σ min(renewed ARR, ARR due) over renewed ÷ Σ ARR due over decided.
    pub gross_dollar_renewal_rate: Option<f64>,
    /// Σ renewed ARR over renewed ÷ Σ ARR due over decided.
    pub net_dollar_renewal_rate: Option<f64>,
    /// Renewed count ÷ decided count.
    pub logo_renewal_rate: Option<f64>,
    /// Σ min(renewed ARR, ARR due) over renewed ÷ renewal quota.
    pub quota_attainment: Option<f64>,
}

impl RenewalRow {
    fn new(
        (grain, period, end_month): (Grain, String, Month),
        (group, by_owner): (String, bool),
        s: RenewalSums,
    ) -> Self {
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
        RenewalRow {
            grain,
            period,
            end_month,
            group,
            by_owner,
            closed_share: ratio(s.closed, s.quota),
            gross_dollar_renewal_rate: ratio(s.renewed_capped, s.closed),
            net_dollar_renewal_rate: ratio(s.renewed_arr, s.closed),
            logo_renewal_rate: ratio(s.renewed as f64, s.decided as f64),
            quota_attainment: ratio(s.renewed_capped, s.quota),
            sums: s,
        }
    }
}

/// The groups the KPIs are split by: everyone, each segment level, each
/// owner; each column by its name and levels (the in-memory order).
pub struct Groups<'a> {
    cols: Vec<(&'a str, &'a [String])>,
    /// The last column is the owner.
    owner_last: bool,
    /// The first owner group (`n` without an owner column).
    owner_from: usize,
    /// First group index of each column (group 0 is `all`).
    offset: Vec<usize>,
    n: usize,
}

impl<'a> Groups<'a> {
    /// The groups of segment columns `segments` and the owner column `owner`.
    pub fn new(
        segments: Vec<(&'a str, &'a [String])>,
        owner: Option<(&'a str, &'a [String])>,
    ) -> Self {
        let owner_last = owner.is_some();
        let cols: Vec<(&str, &[String])> = segments.into_iter().chain(owner).collect();
        let mut offset = Vec::with_capacity(cols.len());
        let mut n = 1;
        for c in &cols {
            offset.push(n);
            n += c.1.len();
        }
        let owner_from = match (owner_last, offset.last()) {
            (true, Some(&o)) => o,
            _ => n,
        };
        Groups {
            cols,
            owner_last,
            owner_from,
            offset,
            n,
        }
    }

    fn of(a: &'a Accounts) -> Self {
        let col = |c: &'a Categorical| (c.column.as_str(), c.levels.as_slice());
        Groups::new(
            a.segments.iter().map(col).collect(),
            a.owner.as_ref().map(col),
        )
    }

    /// The group of level `code` of segment column `k` (the owner is the
    /// column after the segments).
    pub fn group(&self, k: usize, code: usize) -> usize {
        self.offset[k] + code
    }

    /// The group's name, and whether it is an owner's.
    fn name(&self, g: usize) -> (String, bool) {
        if g == 0 {
            return ("all".into(), false);
        }
        let k = self.offset.partition_point(|&o| o <= g) - 1;
        let (column, levels) = self.cols[k];
        (
            format!("{column}={}", levels[g - self.offset[k]]),
            self.owner_last && k + 1 == self.cols.len(),
        )
    }
}

/// The sums of every month × group (everyone and the segments) and of every
/// owner for the quarter before the as-of date's, its own and the next.
/// Kept apart, the owners' sums are small enough to stay in cache.
pub struct RenewalCube {
    first: Month,
    n_months: usize,
    /// Groups of a month: everyone and the segment levels.
    plain: usize,
    owners: usize,
    /// The quarter before the as-of date's.
    near_from: Month,
    /// `sums[month * plain + group]`.
    sums: Vec<RenewalSums>,
    /// `owner_sums[quarter * owners + owner]`, the quarters from `near_from`.
    owner_sums: Vec<RenewalSums>,
}

impl RenewalCube {
    /// An empty cube of the months `first..=last` for `groups` at `as_of`.
    pub fn new(first: Month, last: Month, groups: &Groups, as_of: chrono::NaiveDate) -> Self {
        let n_months = (last.0 - first.0 + 1).max(1) as usize;
        let plain = groups.owner_from;
        let owners = groups.n - plain;
        RenewalCube {
            first,
            n_months,
            plain,
            owners,
            near_from: Month::of(as_of).quarter_start().plus(-3),
            sums: vec![RenewalSums::default(); n_months * plain],
            owner_sums: vec![RenewalSums::default(); 3 * owners],
        }
    }

    /// The sums of group `g` (everyone or a segment level) in month `m`;
    /// `None` outside the cube.
    pub fn month(&mut self, m: Month, g: usize) -> Option<&mut RenewalSums> {
        let k = usize::try_from(m.0 - self.first.0).ok()?;
        (k < self.n_months && g < self.plain).then(|| &mut self.sums[k * self.plain + g])
    }

    /// The first and last month an owner's sums are kept for: the quarter
    /// before the as-of date's to the one after it.
    pub fn owner_months(&self) -> (Month, Month) {
        (self.near_from, self.near_from.plus(8))
    }

    /// The sums of owner `o` (its level code) in the quarter of month `m`;
    /// `None` when that quarter is not near the as-of date.
    pub fn owner(&mut self, m: Month, o: usize) -> Option<&mut RenewalSums> {
        let q = m.quarter_start().0 - self.near_from.0;
        ((0..9).contains(&q) && o < self.owners)
            .then(|| &mut self.owner_sums[(q / 3) as usize * self.owners + o])
    }
}

/// The renewal KPIs of every period and group, months first, then quarters,
/// then YTD; within a grain, by period, then group. Everyone and each
/// segment level at every grain; each owner for the quarters before, of and
/// after the as-of date.
pub fn renewal_rows(r: &Renewals, a: &Accounts) -> Vec<RenewalRow> {
    let Some(first) = r.due.iter().min().map(|d| Month::of(*d)) else {
        return Vec::new();
    };
    let last = r.due.iter().max().map_or(first, |d| Month::of(*d));
    let groups = Groups::of(a);
    let mut cube = RenewalCube::new(first, last, &groups, r.as_of);
    for i in 0..r.len() {
        let month = Month::of(r.due[i]);
        let late = r.due[i] < r.as_of;
        let acct = r.account[i] as usize;
        let one = |s: Option<&mut RenewalSums>| {
            if let Some(s) = s {
                s.add_one(r.arr_due[i], r.outcome[i], r.renewed_arr[i], late);
            }
        };
        one(cube.month(month, 0));
        for (k, c) in a.segments.iter().enumerate() {
            let code = c.codes[acct];
            if code != MISSING {
                one(cube.month(month, groups.group(k, code as usize)));
            }
        }
        if let Some(o) = &a.owner {
            let code = o.codes[acct];
            if code != MISSING {
                one(cube.owner(month, code as usize));
            }
        }
    }
    rows_of(&cube, &groups)
}

/// The rows of a filled cube: every month, quarter and YTD of everyone and
/// the segment levels (a level only where it has renewals), and the owners'
/// near quarters.
pub fn rows_of(cube: &RenewalCube, groups: &Groups) -> Vec<RenewalRow> {
    let RenewalCube {
        first,
        n_months,
        plain,
        owners,
        near_from,
        ..
    } = *cube;
    let (sums, owner_sums) = (&cube.sums, &cube.owner_sums);
    let last = first.plus(n_months as i32 - 1);
    // The as-of date's quarter.
    let now = near_from.plus(3);
    let month_sum = |m0: usize, m1: usize, g: usize| {
        let mut s = RenewalSums::default();
        for m in m0..=m1 {
            s.add(&sums[m * plain + g]);
        }
        s
    };
    let mut out = Vec::new();
    let month = |k: usize| first.plus(k as i32);
    // Owners at the quarter grain only, for the quarter before the as-of
    // date's, its own and the next: a book of thousands of owners would
    // otherwise fill results.json with periods nobody reads per owner.
    for k in 0..n_months {
        for g in 0..plain {
            let s = sums[k * plain + g];
            if s.due > 0 || g == 0 {
                out.push(RenewalRow::new(
                    (Grain::Month, month(k).to_string(), month(k)),
                    groups.name(g),
                    s,
                ));
            }
        }
    }
    let idx = |m: Month| (m.0 - first.0).clamp(0, n_months as i32 - 1) as usize;
    let mut q = first.quarter_start();
    while q <= last {
        let (m0, m1) = (idx(q), idx(q.plus(2)));
        let near = (now.plus(-3)..=now.plus(3)).contains(&q);
        let qi = ((q.0 - near_from.0) / 3) as usize;
        for g in 0..if near { plain + owners } else { plain } {
            let s = if g < plain {
                month_sum(m0, m1, g)
            } else {
                owner_sums[qi * owners + g - plain]
            };
            if s.due > 0 || g == 0 {
                out.push(RenewalRow::new(
                    (Grain::Quarter, q.quarter_label(), q.plus(2)),
                    groups.name(g),
                    s,
                ));
            }
        }
        q = q.plus(3);
    }
    for k in 0..n_months {
        let jan = Month::new(month(k).year(), 1);
        for g in 0..plain {
            let s = month_sum(idx(jan), k, g);
            if s.due > 0 || g == 0 {
                out.push(RenewalRow::new(
                    (Grain::Ytd, month(k).to_string(), month(k)),
                    groups.name(g),
                    s,
                ));
            }
        }
    }
    out
}
