//! JUnit XML reports: the format CI dashboards read test results from.
//!
//! One suite of test cases, each passed or failed, with the elements and attributes the
//! common readers (Jenkins, GitLab, GitHub test reporters) use. Text is escaped for XML 1.0,
//! and the control characters XML 1.0 cannot hold even escaped become U+FFFD.
//!
//! ```
//! use sio_capture::junit::{Failure, TestCase, render};
//!
//! let case = TestCase {
//!     classname: "sio-replay.check",
//!     name: "goldens/session.snap",
//!     seconds: 0.25,
//!     failure: Some(Failure { message: "no golden yet", detail: None }),
//!     system_out: Some("transcript of s.jsonl"),
//! };
//! let xml = render("sio-replay check", &[case]);
//! assert!(xml.contains(r#"<testsuite name="sio-replay check" tests="1" failures="1" time="0.250">"#));
//! assert!(xml.contains(r#"<failure message="no golden yet"/>"#));
//! ```

use std::fmt::Write as _;

/// One test case of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase<'a> {
    /// The case's `classname` (readers group cases by it).
    pub classname: &'a str,
    /// The case's name.
    pub name: &'a str,
    /// How long it took, in seconds.
    pub seconds: f64,
    /// Why it failed; `None` when it passed.
    pub failure: Option<Failure<'a>>,
    /// Text shown with the case (its `<system-out>`), if any.
    pub system_out: Option<&'a str>,
}

/// Why a test case failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure<'a> {
    /// A one-line summary (the `message` attribute).
    pub message: &'a str,
    /// The long form, e.g. a diff (the element's text), if any.
    pub detail: Option<&'a str>,
}

/// The report of one suite named `suite` holding `cases`.
pub fn render(suite: &str, cases: &[TestCase<'_>]) -> String {
    let tests = cases.len();
    let failures = cases.iter().filter(|case| case.failure.is_some()).count();
    let seconds: f64 = cases.iter().map(|case| case.seconds).sum();
    // Writing to a String cannot fail: the results of `write!` are ignored.
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites tests=\"{tests}\" failures=\"{failures}\" time=\"{seconds:.3}\">"
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" time=\"{seconds:.3}\">",
        escape(suite)
    );
    for case in cases {
        let _ = write!(
            xml,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(case.classname),
            escape(case.name),
            case.seconds
        );
        if case.failure.is_none() && case.system_out.is_none() {
            xml.push_str("/>\n");
            continue;
        }
        xml.push_str(">\n");
        if let Some(failure) = &case.failure {
            let _ = write!(
                xml,
                "      <failure message=\"{}\"",
                escape(failure.message)
            );
            match failure.detail {
                Some(detail) => {
                    let _ = writeln!(xml, ">{}</failure>", escape(detail));
                }
                None => xml.push_str("/>\n"),
            }
        }
        if let Some(out) = case.system_out {
            let _ = writeln!(xml, "      <system-out>{}</system-out>", escape(out));
        }
        xml.push_str("    </testcase>\n");
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// `text` escaped for an XML 1.0 attribute value or element text.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_forbidden_control_characters() {
        assert_eq!(
            escape("a & b < c > d \"e\" 'f'\u{1}\u{1f}\t\n\r"),
            "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;\u{FFFD}\u{FFFD}\t\n\r"
        );
        assert_eq!(escape("Thảo Tây"), "Thảo Tây");
    }

    #[test]
    fn a_failed_case_carries_its_escaped_detail_and_counts() {
        let xml = render(
            "sio-replay check",
            &[TestCase {
                classname: "sio-replay.check",
                name: "g<1>.snap",
                seconds: 0.5,
                failure: Some(Failure {
                    message: "transcript differs from the golden",
                    detail: Some("-\"a\"\n+'b'\u{1}\n"),
                }),
                system_out: Some("transcript of x & y"),
            }],
        );
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites tests=\"1\" failures=\"1\" time=\"0.500\">\n  \
             <testsuite name=\"sio-replay check\" tests=\"1\" failures=\"1\" time=\"0.500\">\n    \
             <testcase classname=\"sio-replay.check\" name=\"g&lt;1&gt;.snap\" time=\"0.500\">\n      \
             <failure message=\"transcript differs from the golden\">-&quot;a&quot;\n+&apos;b&apos;\u{FFFD}\n</failure>\n      \
             <system-out>transcript of x &amp; y</system-out>\n    \
             </testcase>\n  \
             </testsuite>\n\
             </testsuites>\n"
        );
    }

    #[test]
    fn passed_cases_count_and_add_up() {
        let case = |name, seconds, failure| TestCase {
            classname: "c",
            name,
            seconds,
            failure,
            system_out: None,
        };
        let xml = render(
            "s",
            &[
                case("a", 0.25, None),
                case(
                    "b",
                    0.5,
                    Some(Failure {
                        message: "no golden yet",
                        detail: None,
                    }),
                ),
            ],
        );
        assert!(
            xml.contains(r#"<testsuites tests="2" failures="1" time="0.750">"#),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase classname=\"c\" name=\"a\" time=\"0.250\"/>\n"),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"no golden yet\"/>\n    </testcase>"),
            "{xml}"
        );
    }
}
