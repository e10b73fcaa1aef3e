//! The streaming reader's number and month parsing, byte for byte.

use super::*;

#[test]
fn cells_it_vouches_for() {
    assert_eq!(month(b"2024-06"), Some(2024 * 12 + 5));
    assert_eq!(month(b"2024-13"), None);
    assert_eq!(month(b"2024-06-01"), None);
    // The predicted next month reads back as itself.
    for m in [0, 11, 12, 2024 * 12 + 5, 2024 * 12 + 11, 9999 * 12 + 11] {
        let t = month_text(m).expect("four-digit year");
        assert_eq!(month(&t), Some(m));
        assert_eq!(
            std::str::from_utf8(&t).ok(),
            Some(Month(m).to_string().as_str())
        );
    }
    assert_eq!(month_text(10000 * 12), None);
    for (a, b, eq) in [
        (&b"A0000001"[..], &b"A0000001"[..], true),
        (b"A0000001", b"A0000002", false),
        (b"CUST-00000000017", b"CUST-00000000017", true),
        (b"CUST-00000000017", b"CUST-00000000018", false),
        (b"abc", b"abcd", false),
        (b"", b"", true),
    ] {
        assert_eq!(same(a, b), eq, "{a:?} {b:?}");
    }
    assert_eq!(month_text(-1), None);
    assert_eq!(plain_number(b"416.67"), Some(416.67));
    assert_eq!(plain_number(b"0"), Some(0.0));
    // The fast path is exactly the standard parser's rounding.
    for t in [
        "0.1",
        "416.67",
        "12345.678901",
        "5.",
        ".5",
        "999999999999999",
        "0.000000000000001",
        "3.14159265358979",
        "12345678901234567.5",
    ] {
        assert_eq!(plain_number(t.as_bytes()), t.parse::<f64>().ok(), "{t}");
    }
    for bad in [
        &b""[..],
        b"-1",
        b"1e3",
        b"1,234",
        b"NA",
        b".",
        b"1.2.3",
        b" 5",
        b"inf",
    ] {
        assert_eq!(plain_number(bad), None, "{:?}", std::str::from_utf8(bad));
    }
}
