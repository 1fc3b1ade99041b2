//! `check`: the conformance cases against a server, a line each, a summary, exit 1 on a
//! failure.

use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use xentara_ws_support::conformance::{self, Settings};

use crate::connect::Connect;

/// `check URL`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's URL: ws://HOST:PORT/PATH or wss://…
    #[arg(required_unless_present = "list")]
    url: Option<String>,
    #[command(flatten)]
    connect: Connect,
    /// Print the cases (section, id, the spec line each checks) without connecting.
    #[arg(long)]
    list: bool,
    /// Only the cases of this section (`6` holds `6.3`) or id prefix; repeatable.
    #[arg(long, value_name = "SECTION|ID")]
    only: Vec<String>,
    /// Not the cases of this section or id prefix; repeatable.
    #[arg(long, value_name = "SECTION|ID")]
    skip: Vec<String>,
    /// Write every case with the bytes exchanged (hex and diagnostic notation) as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write an Autobahn-style report: DIR/index.json (case → verdict, duration) and
    /// DIR/CASE.json (the expectation, the verdict and the bytes exchanged).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Write JUnit XML (a testcase per case; FAIL a failure, skip skipped).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Compare the verdicts with FILE (the index.json of an earlier --report) and exit 1
    /// only when one differs, naming each: pin a server's known deviations.
    #[arg(long, value_name = "FILE")]
    expect: Option<PathBuf>,
    /// Also send suspend, shutdown and resume (with wrong-typed parameters only).
    #[arg(long)]
    stage_commands: bool,
}

/// Runs `check`.
pub fn run(args: Args) -> Result<ExitCode, String> {
    let settings = Settings {
        url: args.url.clone().unwrap_or_default(),
        options: args.connect.options()?,
        only: args.only,
        skip: args.skip,
        stage_commands: args.stage_commands,
    };
    if args.list {
        let mut out = std::io::stdout().lock();
        conformance::list(&settings, &mut out).map_err(|e| e.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    let total = conformance::cases()
        .into_iter()
        .filter(|c| settings.chosen(c))
        .count();
    let bar = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").map_err(|e| e.to_string())?,
    );
    let mut out = Above {
        bar: bar.clone(),
        out: std::io::stdout(),
    };
    let outputs = conformance::Outputs {
        json: args.json,
        report: args.report,
        junit: args.junit,
        expect: args.expect,
    };
    let status = conformance::check(settings, &outputs, &mut out, |o| {
        bar.set_message(o.id);
        bar.inc(1);
    });
    bar.finish_and_clear();
    Ok(ExitCode::from(status?))
}

/// Standard output written above the progress bar (which is on stderr, when that is a
/// terminal).
struct Above {
    bar: ProgressBar,
    out: std::io::Stdout,
}

impl std::io::Write for Above {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bar.suspend(|| self.out.write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
