//! A conformance runner: checks any Xentara WebSocket API server against the spec, case by
//! case, as the Autobahn suite does for WebSocket.
//!
//! ```text
//! xentara-ws check ws://127.0.0.1:8080/api/ws
//! xentara-ws check --user admin --password admin --ca cert.pem \
//!     --json report.json wss://localhost:8443/api/ws
//! xentara-ws check --only 5.1 ws://127.0.0.1:8080/api/ws
//! ```
//!
//! Each case sends what its spec line is about — well-formed or deliberately broken bytes,
//! built item by item, not by the crate's encoder — on a connection of its own and judges
//! what comes back as the crate decodes it (an error packet whose id the crate refuses is
//! read leniently, as an error with no id). One line per case, graded as the Autobahn
//! suite grades what a spec leaves loose: `pass`; `non-strict` (it works, but where the
//! spec leaves a choice the server made the other one, or its timing slipped); `info`;
//! `FAIL`; `skip` (the server's data cannot exercise it, the server does not implement a
//! command it needs (-32601) or refuses its setup (-32102, -32109), or it is not sent
//! without a flag); then the section, the id, a short why, and a summary. Only `FAIL`
//! fails a run.
//!
//! A case tests what its line names and nothing else: the probe that shows a connection
//! goes on after a bad message is a second client_hello (-32001, which every server's
//! session answers by itself), and a parameter case names one of the server's data
//! points, not the nil UUID. `--json FILE` writes every case with the bytes exchanged
//! (hex and diagnostic notation); [`Outputs`] also has a report directory, JUnit XML and
//! expected verdicts to compare with. The exit status is 1 when a case fails, or when the
//! server cannot be reached (one line on stderr, as the example client gives it).
//!
//! Cases that need the server's data (browse, lookup, meta_data, read, write, subscribe)
//! use what its own browse tree offers; writes put back the value they read. Sub-sessions
//! log in with `--user`/`--password`. suspend, shutdown and resume are sent only with
//! `--stage-commands`, and then only with a wrong-typed parameter.

mod conn;
mod model;
mod protocol;
mod report;
mod sessions;
mod subscribe;
mod suite;
mod target;
mod wire;

use std::io::Write;
use std::time::Instant;

use crate::demo;
pub use report::Outputs;
pub use suite::{Case, Outcome, Settings, Verdict};

/// Every case, by the spec's sections.
pub fn cases() -> Vec<&'static Case> {
    let groups: [&[Case]; 6] = [
        protocol::CASES,
        protocol::PARAM_CASES,
        protocol::STAGE_CASES,
        model::CASES,
        subscribe::CASES,
        sessions::CASES,
    ];
    let mut all: Vec<&Case> = groups.into_iter().flatten().collect();
    all.sort_by_key(|c| section_key(c.section));
    all
}

/// `6.12` sorts after `6.2`.
fn section_key(section: &str) -> Vec<u32> {
    section
        .split('.')
        .map(|n| n.parse().unwrap_or(u32::MAX))
        .collect()
}

/// Runs the cases `settings` chooses, a line each on `out` and `progress` told of each as
/// it ends, and writes the `outputs`. The exit status: 0 none failed, 1 one failed — or,
/// with expected verdicts, 0 none differs from them and 1 one does (each difference a
/// line on `out`); `Err` when the server cannot be reached or a file not read or written
/// (one line).
pub fn check(
    settings: Settings,
    outputs: &Outputs,
    out: &mut impl Write,
    mut progress: impl FnMut(&Outcome),
) -> Result<u8, String> {
    // One connection first: a wrong URL, TLS or credentials is one line, not every case.
    conn::Conn::open(&settings.url, &settings.options, &conn::Log::new())?;
    let shown = demo::client::shown(&settings.url);
    let chosen: Vec<&Case> = cases().into_iter().filter(|c| settings.chosen(c)).collect();
    let start = Instant::now();
    let _ = writeln!(out, "checking {shown}");
    let outcomes = suite::run(settings, &chosen, |o| {
        let _ = writeln!(
            out,
            "{:<10} {:<5} {:<34} {}",
            o.verdict.word(),
            o.section,
            o.id,
            o.verdict.why()
        );
        let _ = out.flush();
        progress(o);
    });
    let count = |word| outcomes.iter().filter(|o| o.verdict.word() == word).count();
    let counts: Vec<String> = Verdict::WORDS
        .iter()
        .map(|word| format!("{} {word}", count(*word)))
        .collect();
    let fail = count("FAIL");
    let _ = writeln!(
        out,
        "{} cases: {} ({:.1} s)",
        outcomes.len(),
        counts.join(", "),
        start.elapsed().as_secs_f64()
    );
    let seconds = start.elapsed().as_secs_f64();
    let write = |path: &std::path::Path, text: String| {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    if let Some(path) = &outputs.json {
        write(path, report::json(&shown, &outcomes))?;
    }
    if let Some(dir) = &outputs.report {
        report::directory(dir, &shown, &outcomes)?;
    }
    if let Some(path) = &outputs.junit {
        write(path, report::junit(&shown, &outcomes, seconds))?;
    }
    if let Some(path) = &outputs.expect {
        let differences = report::differences(path, &outcomes)?;
        for line in &differences {
            let _ = writeln!(out, "differs from {}: {line}", path.display());
        }
        if differences.is_empty() {
            let _ = writeln!(out, "as expected by {}", path.display());
        }
        return Ok(u8::from(!differences.is_empty()));
    }
    Ok(u8::from(fail > 0))
}

/// Every case chosen by `settings`, a line each: section, id, the spec line it checks.
pub fn list(settings: &Settings, out: &mut impl Write) -> std::io::Result<()> {
    for case in cases().into_iter().filter(|c| settings.chosen(c)) {
        writeln!(out, "{:<5} {:<34} {}", case.section, case.id, case.spec)?;
    }
    Ok(())
}
