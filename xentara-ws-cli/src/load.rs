//! `load`: many connections at once against a server, the load generator's JSON line at
//! the end.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use xentara_ws_support::loadgen::{self, Config, Stats, hostile};

/// `load URL`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's URL: ws://HOST:PORT/PATH or wss://…
    url: String,
    /// Connections, all at once.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    connections: u64,
    /// How long each connection holds its subscription.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// At most this many handshakes in progress at once.
    #[arg(long, default_value_t = 50)]
    ramp: usize,
    /// Misbehaving clients beside the normal ones.
    #[arg(long, value_parser = ["slowloris", "oversize", "garbage", "stall", "churn"])]
    hostile: Option<String>,
    /// How many hostile clients.
    #[arg(long, default_value_t = 100)]
    hostile_connections: usize,
    /// Milliseconds each hostile client waits between attempts (0 floods).
    #[arg(long, default_value_t = 1000)]
    hostile_pause: u64,
    /// The size of an oversize client's message.
    #[arg(long, value_name = "BYTES", default_value_t = 2 << 20)]
    oversize: usize,
    /// The server's process, for its peak RSS (Linux).
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    #[command(flatten)]
    connect: crate::connect::Connect,
}

/// Runs `load`: exit 1 unless every connection completed and every response came.
pub fn run(args: Args) -> Result<ExitCode, String> {
    if !args.url.starts_with("ws://") && !args.url.starts_with("wss://") {
        return Err(format!("{}: not a ws:// or wss:// URL", args.url));
    }
    let mut config = Config::new(args.url);
    config.connections = usize::try_from(args.connections).map_err(|e| e.to_string())?;
    config.hold = Duration::from_secs(args.seconds);
    config.ramp = args.ramp.max(1);
    config.hostile = args
        .hostile
        .as_deref()
        .map(hostile::Kind::parse)
        .transpose()?;
    config.hostile_connections = args.hostile_connections;
    config.hostile_pause = Duration::from_millis(args.hostile_pause);
    config.oversize = args.oversize;
    config.server_pid = args.server_pid;
    let options = args.connect.options()?;
    if options.user.is_some() {
        return Err("load sends no credentials: --user and --password do not apply".to_owned());
    }
    config.trust = options.trust;
    config.progress = false;
    let bar = ProgressBar::new(config.connections as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} done, {msg} [{elapsed}]")
            .map_err(|e| e.to_string())?,
    );
    let stats = Arc::new(Stats::default());
    let report = crate::runtime()?.block_on(async {
        let watched = stats.clone();
        let shown = bar.clone();
        let ticker = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tick.tick().await;
                let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
                let done =
                    get(&watched.completed) + get(&watched.failed) + get(&watched.connect_failed);
                shown.set_position(done);
                shown.set_message(format!(
                    "{} connected, {} failed, {} responses, {} events",
                    get(&watched.connected),
                    get(&watched.failed) + get(&watched.connect_failed),
                    get(&watched.responses),
                    get(&watched.events)
                ));
            }
        });
        let report = loadgen::run_with(config, stats).await;
        ticker.abort();
        report
    });
    bar.finish_and_clear();
    println!("{}", report.json());
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
