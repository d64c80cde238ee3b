//! The Prometheus text exposition format, version 0.0.4: a family's
//! `# HELP` and `# TYPE` lines, sample lines, and the escaping of help
//! texts and label values. Nothing here knows what is measured.

use std::fmt::Write;

/// The `Content-Type` of a scrape's answer.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Writes a family's `# HELP` and `# TYPE` lines.
pub(crate) fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    out.push_str("# HELP ");
    out.push_str(name);
    out.push(' ');
    // In help texts only the backslash and the line feed are escaped.
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push_str("\n# TYPE ");
    out.push_str(name);
    out.push(' ');
    out.push_str(kind);
    out.push('\n');
}

/// A sample's value: Go's float syntax, which Rust's `Display` matches
/// for finite numbers (`0.005`, `3`, `1e-7` is written `0.0000001`, which
/// Prometheus reads too); the three non-finite values have their own words.
pub(crate) enum Value {
    Int(u64),
    Float(f64),
}

/// Writes one sample line: `name{label="value",…} value`.
pub(crate) fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: Value) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(label);
            out.push_str("=\"");
            escape_label_value(out, v);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    match value {
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Float(f) => float(out, f),
    }
    out.push('\n');
}

/// Writes a float as the format spells it.
pub(crate) fn float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f == f64::INFINITY {
        out.push_str("+Inf");
    } else if f == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        let _ = write!(out, "{f}");
    }
}

/// Label values escape the backslash, the double quote and the line feed.
fn escape_label_value(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Whether `name` is a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), or a
/// valid label name when `colon` is false (`[a-zA-Z_][a-zA-Z0-9_]*`).
pub(crate) fn valid_name(name: &str, colon: bool) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':');
    name.chars()
        .next()
        .is_some_and(|c| !c.is_ascii_digit() && ok(c))
        && name.chars().all(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        let mut out = String::new();
        sample(
            &mut out,
            "x_total",
            &[("route", "/a\\b\"c\nd"), ("status", "200")],
            Value::Int(3),
        );
        assert_eq!(
            out,
            "x_total{route=\"/a\\\\b\\\"c\\nd\",status=\"200\"} 3\n"
        );
    }

    #[test]
    fn help_escapes_backslash_and_newline_but_not_quotes() {
        let mut out = String::new();
        header(&mut out, "x", "a \"b\" \\ c\nd", "gauge");
        assert_eq!(out, "# HELP x a \"b\" \\\\ c\\nd\n# TYPE x gauge\n");
    }

    #[test]
    fn floats_are_written_as_prometheus_reads_them() {
        let f = |v: f64| {
            let mut s = String::new();
            float(&mut s, v);
            s
        };
        assert_eq!(f(0.005), "0.005");
        assert_eq!(f(2.0), "2");
        assert_eq!(f(f64::INFINITY), "+Inf");
        assert_eq!(f(f64::NEG_INFINITY), "-Inf");
        assert_eq!(f(f64::NAN), "NaN");
    }

    #[test]
    fn names_follow_the_format() {
        assert!(valid_name("usher_http_requests_total", true));
        assert!(valid_name("a:b", true));
        assert!(!valid_name("a:b", false));
        assert!(!valid_name("1a", true));
        assert!(!valid_name("", true));
        assert!(!valid_name("a-b", true));
    }
}
