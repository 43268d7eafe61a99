//! Small text helpers shared by the exporters: durations for people, JSON
//! and HTML escaping, microsecond timestamps.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::event::Nanos;

/// A duration for people: `950 ns`, `12.3 µs`, `4.56 ms`, `1.20 s`, with
/// three significant digits from microseconds up.
pub(crate) fn duration(ns: Nanos) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "µs")];
    for (scale, unit) in UNITS {
        if ns >= scale {
            let value = ns as f64 / scale as f64;
            let decimals = if value >= 100.0 {
                0
            } else if value >= 10.0 {
                1
            } else {
                2
            };
            return format!("{value:.decimals$} {unit}");
        }
    }
    format!("{ns} ns")
}

/// Nanoseconds as microseconds with three decimals (`1234567` ->
/// `1234.567`), the unit of Chrome trace timestamps; exact, no float.
pub(crate) fn write_micros(out: &mut dyn Write, ns: Nanos) -> io::Result<()> {
    write!(out, "{}.{:03}", ns / 1000, ns % 1000)
}

/// Writes `s` as a JSON string literal, quotes included.
pub(crate) fn write_json_str(out: &mut dyn Write, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut plain_from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            _ => None,
        };
        if escape.is_none() && b >= 0x20 {
            continue;
        }
        out.write_all(&bytes[plain_from..i])?;
        match escape {
            Some(e) => out.write_all(e)?,
            None => write!(out, "\\u{b:04x}")?,
        }
        plain_from = i + 1;
    }
    out.write_all(&bytes[plain_from..])?;
    out.write_all(b"\"")
}

/// `s` with the characters HTML and XML give meaning to escaped, for text
/// and attribute values alike.
pub(crate) fn html(s: &str) -> String {
    let mut escaped = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            // XML 1.0 has no control characters but these three.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => {
                let _ = write!(escaped, "\u{fffd}");
            }
            c => escaped.push(c),
        }
    }
    escaped
}

/// The last path component of a `file:line` site (`src/main.rs:12` ->
/// `main.rs:12`), for labels where the full path does not fit.
pub(crate) fn short_site(site: &str) -> &str {
    match site.rfind(['/', '\\']) {
        Some(i) => &site[i + 1..],
        None => site,
    }
}

/// An integer with thousands separators: `1234567` -> `1,234,567`.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(0), "0 ns");
        assert_eq!(duration(999), "999 ns");
        assert_eq!(duration(1_000), "1.00 µs");
        assert_eq!(duration(12_345), "12.3 µs");
        assert_eq!(duration(123_456), "123 µs");
        assert_eq!(duration(4_560_000), "4.56 ms");
        assert_eq!(duration(1_200_000_000), "1.20 s");
        assert_eq!(duration(3_600_000_000_000), "3600 s");
    }

    #[test]
    fn micros_keep_nanoseconds() {
        let mut out = Vec::new();
        write_micros(&mut out, 1_234_567).unwrap();
        out.push(b' ');
        write_micros(&mut out, 7).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "1234.567 0.007");
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut out = Vec::new();
        write_json_str(&mut out, "a\"b\\c\nd\u{1}é\u{7f}").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\nd\\u0001é\u{7f}\""
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(html("a\u{0}b"), "a\u{fffd}b");
    }

    #[test]
    fn sites_shorten_and_counts_group() {
        assert_eq!(short_site("src/bin/main.rs:12"), "main.rs:12");
        assert_eq!(short_site("C:\\x\\main.rs:3"), "main.rs:3");
        assert_eq!(short_site("main.rs:3"), "main.rs:3");
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
