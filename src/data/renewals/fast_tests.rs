//! The fast renewals reader against the full one: on the demo's table and
//! on edits of it, whatever the fast reader accepts it reads exactly as the
//! full reader does, and it gives up on every cell the full reader would
//! refuse or read differently.

use super::*;
use crate::data::ids::id_index;
use crate::data::parse::Ctx;
use crate::data::renewals::read_cells;
use crate::StudyConfig;

fn repo(p: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

#[test]
fn fast_reads_as_the_full_reader_or_gives_up() {
    let cfg = StudyConfig::from_path(&repo("data/demo/study.toml")).expect("config");
    let study = crate::data::load::load_study(&cfg).expect("demo study");
    let a = &study.accounts;
    let rc = cfg.renewals.as_ref().expect("[renewals]");
    let ctx = Ctx {
        path: &a.path,
        column: "account_id",
        missing_tokens: &[],
    };
    let index = id_index(&a.ids, ctx).expect("index");
    let missing = &cfg.accounts.missing_values;
    let text = std::fs::read_to_string(repo("data/demo/renewals.csv")).expect("renewals.csv");
    let dir = tempfile::tempdir().expect("tempdir");
    let (head, rest) = text.split_once('\n').expect("header");
    let first = rest.lines().next().expect("a row");
    let edit = |from: &str, to: &str| {
        let row = first.replacen(from, to, 1);
        assert_ne!(row, first, "{from} is in the first row");
        text.replacen(first, &row, 1)
    };
    // (name, file text, whether the fast reader must accept it)
    let cases: Vec<(&str, String, bool)> = vec![
        ("as written", text.clone(), true),
        ("no final newline", text.trim_end().to_string(), true),
        (
            "columns reordered",
            {
                let mut out = String::new();
                for line in text.lines() {
                    let f: Vec<&str> = line.split(',').collect();
                    out.push_str(&format!(
                        "{},{},{},{},{},{}\n",
                        f[5], f[4], f[3], f[2], f[1], f[0]
                    ));
                }
                out
            },
            true,
        ),
        (
            "an extra column",
            text.lines().map(|l| format!("{l},x\n")).collect(),
            true,
        ),
        ("quoted", edit("A0000001", "\"A0000001\""), false),
        ("crlf", text.replace('\n', "\r\n"), false),
        ("bom", format!("\u{feff}{text}"), false),
        ("blank line at the end", format!("{text}\n"), false),
        ("padded id", edit("A0000001", " A0000001"), false),
        ("unknown id", edit("A0000001", "A9999999"), false),
        ("us date", edit("2024-01-02", "01/02/2024"), false),
        ("slash date", edit("2024-01-02", "2024/01/02"), false),
        ("dollar", edit("67958.52", "$67958.52"), false),
        ("exponent", edit("67958.52", "6.795852e4"), false),
        ("label case", edit("renewed", "Renewed"), false),
        ("missing token", edit("renewed", "NA"), false),
        ("ragged", edit("renewed", "renewed,x"), false),
        ("blank arr", edit("67958.52,renewed", ",renewed"), false),
        ("control", edit("renewed", "re\u{1}newed"), false),
        ("header only", format!("{head}\n"), false),
    ];
    for (name, body, accept) in cases {
        let path = dir.path().join(format!("{}.csv", name.replace(' ', "_")));
        std::fs::write(&path, &body).expect("write");
        let fast = read(&path, rc, &a.ids, &index, missing);
        assert_eq!(fast.is_some(), accept, "{name}");
        if let Some(f) = fast {
            let full = read_cells(&path, rc, a, &index, missing).expect("the full reader reads it");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(f.account, full.account, "{name}");
            assert_eq!(f.due, full.due, "{name}");
            assert_eq!(f.outcome, full.outcome, "{name}");
            assert_eq!(f.closed, full.closed, "{name}");
            assert_eq!(bits(&f.arr_due), bits(&full.arr_due), "{name}");
            assert_eq!(bits(&f.renewed_arr), bits(&full.renewed_arr), "{name}");
            assert_eq!(f.account.len(), rest.lines().count(), "{name}");
        }
    }
}
