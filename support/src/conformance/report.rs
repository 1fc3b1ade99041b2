//! What a run leaves for CI: the JSON report, an Autobahn-style report directory
//! (`index.json` and one file per case), JUnit XML, and the comparison of a run's
//! verdicts with expected ones (an earlier `index.json`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::suite::{Outcome, Verdict};

/// Where a run's results go, besides the table.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// Every case with the bytes exchanged, as one JSON document (`--json`).
    pub json: Option<std::path::PathBuf>,
    /// `index.json` and one JSON file per case (`--report`).
    pub report: Option<std::path::PathBuf>,
    /// JUnit XML (`--junit`).
    pub junit: Option<std::path::PathBuf>,
    /// Expected verdicts to compare with (`--expect`): an earlier `index.json`.
    pub expect: Option<std::path::PathBuf>,
}

/// A case's verdict word as the files hold it (`pass`, `non-strict`, `info`, `fail`,
/// `skip`).
fn word(verdict: &Verdict) -> String {
    verdict.word().to_lowercase()
}

/// The case's exchanges as JSON.
fn exchanges(outcome: &Outcome) -> Vec<Value> {
    outcome
        .exchanges
        .iter()
        .map(|e| json!({"at_ms": e.at_ms, "dir": e.dir, "hex": e.hex, "diag": e.diag}))
        .collect()
}

/// The counts of each verdict.
fn summary(outcomes: &[Outcome]) -> Value {
    let mut summary = serde_json::Map::new();
    for verdict in Verdict::WORDS {
        let n = outcomes
            .iter()
            .filter(|o| o.verdict.word() == verdict)
            .count();
        summary.insert(verdict.to_lowercase(), n.into());
    }
    Value::Object(summary)
}

/// One case as JSON: its spec line (the expectation in words), verdict, why, duration and
/// the bytes exchanged.
fn case(outcome: &Outcome) -> Value {
    json!({
        "section": outcome.section,
        "id": outcome.id,
        "spec": outcome.spec,
        "verdict": word(&outcome.verdict),
        "why": outcome.verdict.why(),
        "ms": outcome.ms,
        "exchanges": exchanges(outcome),
    })
}

/// Every case with what was exchanged, as one JSON document.
pub fn json(url: &str, outcomes: &[Outcome]) -> String {
    let cases: Vec<Value> = outcomes.iter().map(case).collect();
    let doc = json!({"url": url, "summary": summary(outcomes), "cases": cases});
    serde_json::to_string_pretty(&doc).expect("JSON values") + "\n"
}

/// Writes `dir/index.json` (case id → section, verdict, duration; and the summary) and
/// `dir/<id>.json` for each case.
pub fn directory(dir: &Path, url: &str, outcomes: &[Outcome]) -> Result<(), String> {
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut index = serde_json::Map::new();
    for outcome in outcomes {
        index.insert(
            outcome.id.to_owned(),
            json!({
                "section": outcome.section,
                "verdict": word(&outcome.verdict),
                "duration_ms": outcome.ms,
                "report": format!("{}.json", outcome.id),
            }),
        );
        let path = dir.join(format!("{}.json", outcome.id));
        let text = serde_json::to_string_pretty(&case(outcome)).expect("JSON values") + "\n";
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    }
    let doc = json!({"url": url, "summary": summary(outcomes), "cases": index});
    let path = dir.join("index.json");
    let text = serde_json::to_string_pretty(&doc).expect("JSON values") + "\n";
    std::fs::write(&path, text).map_err(|e| io(&path, e))
}

/// `text` with XML's five special characters escaped (and control characters dropped).
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one `testcase` per case (classname the spec section), `failure` for FAIL,
/// `skipped` for skip; non-strict and info pass with the grade in `system-out`.
pub fn junit(url: &str, outcomes: &[Outcome], seconds: f64) -> String {
    let count = |word| outcomes.iter().filter(|o| o.verdict.word() == word).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"xentara-ws check\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{seconds:.3}\">",
        outcomes.len(),
        count("FAIL"),
        count("skip"),
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{seconds:.3}\">",
        xml(url),
        outcomes.len(),
        count("FAIL"),
        count("skip"),
    );
    for o in outcomes {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            xml(o.section),
            xml(o.id),
            o.ms as f64 / 1000.0
        );
        let why = xml(o.verdict.why());
        match &o.verdict {
            Verdict::Pass(_) => out.push_str("/>\n"),
            Verdict::Fail(_) => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{why}\">{}</failure>\n    </testcase>",
                    xml(o.spec)
                );
            }
            Verdict::Skip(_) => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{why}\"/>\n    </testcase>"
                );
            }
            Verdict::NonStrict(_) | Verdict::Info(_) => {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}: {why}</system-out>\n    </testcase>",
                    o.verdict.word()
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// How a run's verdicts differ from the expected ones: a line per case that newly fails,
/// newly passes (or is graded otherwise) or newly skips, or is new or gone.
pub fn differences(expected: &Path, outcomes: &[Outcome]) -> Result<Vec<String>, String> {
    let text =
        std::fs::read_to_string(expected).map_err(|e| format!("{}: {e}", expected.display()))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not JSON: {e}", expected.display()))?;
    let cases = doc["cases"].as_object().ok_or_else(|| {
        format!(
            "{}: no \"cases\" object (the index.json of a --report run)",
            expected.display()
        )
    })?;
    let expected: BTreeMap<&str, &str> = cases
        .iter()
        .map(|(id, case)| (id.as_str(), case["verdict"].as_str().unwrap_or("?")))
        .collect();
    let mut lines = Vec::new();
    for o in outcomes {
        let now = word(&o.verdict);
        match expected.get(o.id) {
            None => lines.push(format!("{}: new case, {now}", o.id)),
            Some(&was) if was == now => {}
            Some(&was) => {
                let how = match now.as_str() {
                    "fail" => "newly fails",
                    "skip" => "newly skips",
                    _ if was == "fail" || was == "skip" => "newly passes",
                    _ => "graded otherwise",
                };
                lines.push(format!(
                    "{}: {how} ({was} → {now}): {}",
                    o.id,
                    o.verdict.why()
                ));
            }
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(id: &'static str, verdict: Verdict) -> Outcome {
        Outcome {
            section: "6.3",
            id,
            spec: "6.3: a <rule> & more",
            verdict,
            exchanges: Vec::new(),
            ms: 1500,
        }
    }

    #[test]
    fn junit_has_a_testcase_per_case_with_failures_and_skips() {
        let outcomes = [
            outcome("a", Verdict::Pass("ok".into())),
            outcome("b", Verdict::Fail("got \"x\" < y".into())),
            outcome("c", Verdict::Skip("no data".into())),
            outcome("d", Verdict::NonStrict("-32600".into())),
        ];
        let xml = junit("ws://h/api/ws", &outcomes, 2.0);
        assert!(xml.contains(
            "<testsuites name=\"xentara-ws check\" tests=\"4\" failures=\"1\" skipped=\"1\" time=\"2.000\">"
        ));
        assert!(xml.contains("<testcase classname=\"6.3\" name=\"a\" time=\"1.500\"/>"));
        assert!(xml.contains(
            "<failure message=\"got &quot;x&quot; &lt; y\">6.3: a &lt;rule&gt; &amp; more</failure>"
        ));
        assert!(xml.contains("<skipped message=\"no data\"/>"));
        assert!(xml.contains("<system-out>non-strict: -32600</system-out>"));
    }

    #[test]
    fn differences_name_each_case_that_changed() {
        let dir = std::env::temp_dir().join(format!("xentara-ws-expect-{}", std::process::id()));
        let was = [
            outcome("a", Verdict::Pass("ok".into())),
            outcome("b", Verdict::Fail("no".into())),
            outcome("c", Verdict::Pass("ok".into())),
        ];
        directory(&dir, "ws://h/api/ws", &was).unwrap();
        let index = dir.join("index.json");
        assert_eq!(differences(&index, &was).unwrap(), Vec::<String>::new());
        let now = [
            outcome("a", Verdict::Fail("broke".into())),
            outcome("b", Verdict::Pass("fixed".into())),
            outcome("c", Verdict::Skip("gone".into())),
            outcome("d", Verdict::Pass("ok".into())),
        ];
        assert_eq!(
            differences(&index, &now).unwrap(),
            [
                "a: newly fails (pass → fail): broke",
                "b: newly passes (fail → pass): fixed",
                "c: newly skips (pass → skip): gone",
                "d: new case, pass",
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
