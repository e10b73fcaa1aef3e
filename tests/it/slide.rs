//! The one-slide KPI dashboard (issue 18): `charts/kpi_slide.png` and
//! `.svg` at 1920×1080, first in the report, 5–7 tiles by default or the
//! `[kpis] slide` choice, status lights that agree with the control charts,
//! and user text escaped in the SVG.

use churnlab::pipeline::{run, RunOptions};
use churnlab::results::Results;
use churnlab::StudyConfig;

use crate::common::{repo, Fixture};

fn demo_run(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, Results) {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["accounts.csv", "revenue.csv", "renewals.csv"] {
        std::fs::copy(repo(&format!("data/demo/{f}")), dir.path().join(f)).expect("copy");
    }
    let toml = std::fs::read_to_string(repo("data/demo/study.toml")).expect("toml");
    std::fs::write(dir.path().join("study.toml"), edit(&toml)).expect("write toml");
    let cfg = StudyConfig::from_path(&dir.path().join("study.toml")).expect("config");
    let opts = RunOptions {
        out: Some(dir.path().join("out")),
        ..Default::default()
    };
    let r = run(&cfg, &opts, &mut |_| {}).expect("run").results;
    (dir, r)
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    let be = |o: usize| u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
    (be(16), be(20))
}

#[test]
fn the_default_slide_has_5_to_7_tiles_whose_lights_agree_with_their_charts() {
    let (dir, r) = demo_run(str::to_string);
    let out = dir.path().join("out");
    let png = std::fs::read(out.join("charts/kpi_slide.png")).expect("slide png");
    assert_eq!(png_size(&png), (1920, 1080));
    let svg = std::fs::read_to_string(out.join("charts/kpi_slide.svg")).expect("slide svg");
    assert!(svg.contains("KPIs on one slide") && svg.contains("Top renewals at risk"));
    // First in the report: before the summary's verdict list.
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    let slide_at = html.find("kpi_slide.png").expect("slide in report");
    assert!(slide_at < html.find("class=\"verdict\"").expect("verdict"));

    let s = churnlab::report::slide::slide(&r, None);
    assert!((5..=7).contains(&s.tiles.len()), "{} tiles", s.tiles.len());
    assert!(s.tiles.iter().any(|t| t.indicator == "leading"));
    assert!(s.tiles.iter().any(|t| t.indicator == "lagging"));
    for t in &s.tiles {
        assert!(t.values.len() >= 2, "{}: {:?}", t.key, t.values);
        // The light, read off the judging chart's own points: a latest
        // point beyond a rule is red or amber; green only when the latest
        // point breaks no rule and the run chart sees no shift.
        let c = r
            .kpis
            .control
            .iter()
            .find(|c| c.judges && c.kpi.to_string() == t.key)
            .unwrap_or_else(|| panic!("{} has no judging chart", t.key));
        let last = c.chart.points.last().expect("points");
        let runs = c.chart.runs().is_some_and(|x| x.signal());
        match t.light.colour {
            "green" => assert!(last.violations.is_empty() && !runs, "{}", t.key),
            "red" => assert!(!last.violations.is_empty(), "{}", t.key),
            "amber" => assert!(
                !last.violations.is_empty() || runs || c.chart.signals().count() > 0,
                "{}",
                t.key
            ),
            other => panic!("{}: light {other}", t.key),
        }
        assert_eq!(t.spark.len(), c.chart.points.len().min(24));
        let v = t.spark.last().expect("spark").0;
        assert_eq!(v, last.value);
    }
    // The table: the top renewals at risk, in rank order.
    let f = r.forward.as_ref().expect("forward");
    let want: Vec<&str> = f
        .at_risk
        .iter()
        .take(5)
        .map(|x| x.account.as_str())
        .collect();
    let got: Vec<&str> = s.at_risk.iter().map(|x| x.account.as_str()).collect();
    assert_eq!(got, want);
}

#[test]
fn kpis_slide_chooses_the_tiles_in_order() {
    let (_dir, r) = demo_run(|t| {
        t.replace(
            "[kpis]\n",
            "[kpis]\nslide = [\"nrr\", \"driver:exec_sponsor\", \"late_renewals\", \"logo_renewal_rate\", \"arpa\"]\n",
        )
    });
    let s = churnlab::report::slide::slide(&r, r.slide.as_deref());
    let keys: Vec<&str> = s.tiles.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "nrr",
            "driver:exec_sponsor",
            "late_renewals",
            "logo_renewal_rate",
            "arpa"
        ]
    );
}

#[test]
fn an_unknown_slide_kpi_is_a_config_error() {
    let f = Fixture::study_with(
        "[accounts]",
        "[kpis]\nslide = [\"grr\", \"churn_vibes\"]\n\n[accounts]",
    );
    let (code, err) = f.run();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("churn_vibes") && err.contains("kpis.slide"),
        "{err}"
    );
    let f = Fixture::study_with(
        "[accounts]",
        "[kpis]\nslide = [\"grr\", \"grr\"]\n\n[accounts]",
    );
    let (code, err) = f.run();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("twice"), "{err}");
}

#[test]
fn user_text_is_escaped_in_the_slide_svg() {
    let f = Fixture::study_with(
        "name = \"fixture\"",
        "name = \"<script>alert(1)</script> & co\"",
    );
    let (code, err) = f.run();
    assert_eq!(code, 0, "{err}");
    let out = std::fs::read_dir(f.dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.join("charts/kpi_slide.svg").exists())
        .expect("an output folder with the slide");
    let svg = std::fs::read_to_string(out.join("charts/kpi_slide.svg")).expect("svg");
    assert!(!svg.contains("<script>"), "the study name became a script");
    assert!(
        svg.contains("&lt;script&gt;"),
        "the name is not shown as text"
    );
}
