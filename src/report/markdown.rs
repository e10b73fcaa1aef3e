//! `summary.md`: the executive summary ([`Summary`]) as Markdown, for
//! pasting into Slack, a ticket or a slide, escaped with Markdown's own
//! backslash escapes rather than HTML entities.

use super::summary::Summary;

/// Escapes text for Markdown with Markdown's own backslash escapes, so it
/// reads right pasted into Slack, a ticket or a slide and stays inert in a
/// renderer: `<` only where it could open a tag or an autolink (`\<script>`;
/// `q < 0.001` keeps its plain `<`), `&` only where it could start an entity,
/// the inline markup characters always, and line breaks as spaces.
fn md(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut o = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        match c {
            '<' if next
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                o.push_str("\\<")
            }
            '&' if entity_at(&chars[i + 1..]) => o.push_str("\\&"),
            // `$` too: GitHub reads `$…$` as maths.
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' | '#' | '$' => {
                o.push('\\');
                o.push(c);
            }
            '\n' | '\r' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// Whether the text after an `&` reads as an HTML entity (`amp;`, `#39;`).
fn entity_at(rest: &[char]) -> bool {
    let name: Vec<&char> = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
        .collect();
    !name.is_empty() && rest.get(name.len()) == Some(&';')
}

/// `summary.md`: the executive summary as Markdown, for pasting.
pub fn markdown(s: &Summary, generated_at: &str) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(o, "# {} — executive summary\n", md(&s.study));
    let _ = writeln!(
        o,
        "{}. Generated {generated_at} by churnlab.\n",
        md(&s.scope)
    );
    for v in &s.verdict {
        let _ = writeln!(o, "- {}", md(v));
    }
    let _ = writeln!(o);
    if !s.kpis.is_empty() {
        let _ = writeln!(o, "## Recommended effectiveness KPIs\n");
        let _ = writeln!(
            o,
            "| # | KPI | now | effect on churn | q | ARR at stake | aim | status |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
        for k in &s.kpis {
            let _ = writeln!(
                o,
                "| {} | {} ({}) | {} | {} | {} | {} | {} | {} |",
                k.rank,
                md(&k.label),
                k.indicator,
                md(&k.value),
                md(&k.effect),
                md(&k.q_value),
                md(&k.arr_at_stake),
                md(&k.target),
                md(&k.light.text)
            );
        }
        let _ = writeln!(o);
    }
    if !s.headlines.is_empty() || s.headline_note.is_some() {
        let _ = writeln!(o, "## Retention\n");
        if !s.headlines.is_empty() {
            headline_table(&mut o, &s.headlines);
        }
        if let Some(n) = &s.headline_note {
            let _ = writeln!(o, "{}", md(n));
        }
        let _ = writeln!(o);
    }
    if !s.renewal_headlines.is_empty() {
        let _ = writeln!(o, "## Renewals\n");
        headline_table(&mut o, &s.renewal_headlines);
        let _ = writeln!(o);
    }
    for (title, rows) in [
        ("Top cancellation reasons by count", &s.top_by_count),
        (
            "Top cancellation reasons by lost revenue",
            &s.top_by_revenue,
        ),
    ] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(o, "## {title}\n");
        for t in rows {
            let _ = writeln!(
                o,
                "{}. {} — {} ({})",
                t.rank,
                md(&t.reason),
                md(&t.value),
                md(&t.share)
            );
        }
        let _ = writeln!(o);
    }
    o
}

/// A table of summary cards: KPI, quarter, value, change, status.
fn headline_table(o: &mut String, rows: &[super::summary::Headline]) {
    use std::fmt::Write;
    let _ = writeln!(o, "| KPI | quarter | value | change | status |");
    let _ = writeln!(o, "|---|---|---|---|---|");
    for h in rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            md(&h.label),
            md(&h.period),
            md(&h.value),
            md(&h.change),
            md(&h.light.text)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Markdown escapes, never HTML entities: a tag is inert, plain text
    /// such as `q < 0.001` and `R&D` reads as written.
    #[test]
    fn markdown_escapes_markup() {
        assert_eq!(
            md("<script>alert(1)</script>"),
            "\\<script>alert(1)\\</script>"
        );
        assert_eq!(md("a|b *c*"), "a\\|b \\*c\\*");
        assert_eq!(md("q < 0.001, R&D, a > b"), "q < 0.001, R&D, a > b");
        assert_eq!(md("&amp; &#39;"), "\\&amp; \\&\\#39;");
        assert_eq!(md("<http://x>"), "\\<http://x>");
    }
}
