//! The two revenue readers agree, and the full reader names bad rows.

use super::*;

/// The streaming reader and the polars reader give the same matrix, row
/// count and warnings on a valid CSV (a generated demo study with gaps:
/// accounts arrive and churn inside the window).
#[test]
fn fast_and_full_readers_agree() {
    // 16 months: pages exactly a month wide, kept and reordered in
    // place; 14: pages wider than the months, merged into new blocks.
    for months in [14, 16] {
        fast_and_full_readers_agree_over(months);
    }
}

/// The fast reader (with `parts` byte ranges) takes `file` and gives the
/// polars reader's matrix bit for bit, its row count and its warnings.
fn fast_equals_full(
    file: &Path,
    rc: &RevenueConfig,
    accounts: &Accounts,
    index: &IdIndex,
    parts: usize,
) {
    let what = file.display();
    let fast = super::fast::read_in(file, rc, index, &accounts.ids, parts)
        .unwrap_or_else(|| panic!("{what}: the fast reader declined"));
    let (mut w1, mut w2) = (Vec::new(), Vec::new());
    let a = finish(
        file,
        rc,
        fast.first_month.0,
        fast.n_rows,
        fast.blocks,
        &fast.seen,
        accounts.len(),
        &mut w1,
    );
    let b = load_revenue_polars(file, rc, accounts, index, &[], &mut w2).expect("full");
    assert_eq!(
        (a.first_month, a.n_months, a.n_rows),
        (b.first_month, b.n_months, b.n_rows),
        "{what}"
    );
    assert!(
        (0..accounts.len()).all(|i| a
            .row(i)
            .iter()
            .zip(b.row(i))
            .all(|(x, y)| x.to_bits() == y.to_bits())),
        "{what}"
    );
    assert_eq!(
        w1.iter().map(|w| &w.message).collect::<Vec<_>>(),
        w2.iter().map(|w| &w.message).collect::<Vec<_>>(),
        "{what}"
    );
}

fn fast_and_full_readers_agree_over(months: usize) {
    let dir = tempfile::tempdir().expect("tmp");
    let p = crate::demo::DemoParams {
        accounts: 3000,
        months,
        seed: 7,
        special_month: 8,
        ..crate::demo::DemoParams::default()
    };
    crate::demo::write_demo(&p, dir.path(), false).expect("demo");
    let cfg = crate::config::StudyConfig::from_path(&dir.path().join("study.toml")).expect("cfg");
    let mut w = Vec::new();
    let accounts = super::super::load::load_accounts(&cfg, &mut w).expect("accounts");
    let hashed = IdIndex::Hashed(
        accounts
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i as u32))
            .collect(),
    );
    let sorted = IdIndex::Sorted(&accounts.ids);
    let rc = cfg.revenue.as_ref().expect("revenue");
    let path = cfg.resolve(&rc.path);
    let text = std::fs::read_to_string(&path).expect("csv");
    // The rows as written (account order) and shuffled (every id found by
    // look-up, every page of every range touched), with either index.
    let (header, body) = text.split_once('\n').expect("header");
    let mut rows: Vec<&str> = body.lines().collect();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in (1..rows.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        rows.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let shuffled = dir.path().join("shuffled.csv");
    std::fs::write(&shuffled, format!("{header}\n{}\n", rows.join("\n"))).expect("write");
    // One range (every block one page, reordered in place), a few, and
    // many (blocks merged from several ranges' pages).
    for (file, index, parts) in [
        (&path, &hashed, 16),
        (&path, &sorted, 1),
        (&path, &sorted, 3),
        (&shuffled, &hashed, 1),
        (&shuffled, &sorted, 16),
    ] {
        fast_equals_full(file, rc, &accounts, index, parts);
    }
    // Windows line ends, no newline at the end, and the columns in
    // another order beside an extra one: still the fast reader's, still
    // the same matrix as the polars reader's.
    let reordered: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{},note,{},{}", f[1], f[0], f[2])
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    for (what, changed) in [
        ("crlf", text.replace('\n', "\r\n")),
        ("no-final-newline", text.trim_end().to_string()),
        ("reordered", reordered.clone()),
    ] {
        let p2 = dir.path().join(format!("{what}.csv"));
        std::fs::write(&p2, changed).expect("write");
        for parts in [1, 3] {
            fast_equals_full(&p2, rc, &accounts, &sorted, parts);
        }
    }
    // A repeated account-month, a date-shaped month, a quoted cell, an
    // unknown account, and a byte beyond ASCII or a quote in a column it
    // skips (found by the revenue fuzz target: not UTF-8 there, which the
    // full reader refuses) all send the file back to the full reader.
    let in_note = |with: &str| {
        let mut lines: Vec<String> = reordered.lines().map(String::from).collect();
        lines[1] = lines[1].replacen("note", with, 1);
        lines.join("\n")
    };
    let first_row = text.lines().nth(1).expect("row").to_string();
    let stranger = format!(
        "ZZZ-unknown{}",
        &first_row[first_row.find(',').expect(",")..]
    );
    for (what, changed) in [
        ("repeat", format!("{text}{first_row}\n")),
        (
            "date",
            text.replacen(&first_row, &first_row.replacen("-", "-01-", 1), 1),
        ),
        (
            "quote",
            text.replacen(&first_row, &format!("\"{first_row}\""), 1),
        ),
        ("unknown", text.replacen(&first_row, &stranger, 1)),
        ("non-ascii-skipped", in_note("caf\u{e9}")),
        ("quote-skipped", in_note("\"no,te\"")),
    ] {
        let p2 = dir.path().join(format!("{what}.csv"));
        std::fs::write(&p2, changed).expect("write");
        for index in [&hashed, &sorted] {
            assert!(
                super::fast::read(&p2, rc, index, &accounts.ids).is_none(),
                "{what}"
            );
        }
    }
}
