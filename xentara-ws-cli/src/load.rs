//! `load`: many connections at once against a server, the load generator's JSON line at
//! the end.

use std::process::ExitCode;
use std::time::Duration;

use xentara_ws_support::loadgen::{self, Config, hostile};

/// `load URL`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's URL: ws://HOST:PORT/PATH or wss://…
    url: String,
    /// Connections, all at once.
    #[arg(long, default_value_t = 100)]
    connections: usize,
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
    /// For wss://: trust any certificate.
    #[arg(long)]
    insecure: bool,
}

/// Runs `load`: exit 1 unless every connection completed and every response came.
pub fn run(args: Args) -> Result<ExitCode, String> {
    if args.connections == 0 {
        return Err("--connections must be at least 1".to_owned());
    }
    let mut config = Config::new(args.url);
    config.connections = args.connections;
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
    config.insecure = args.insecure;
    let report = crate::runtime()?.block_on(loadgen::run(config));
    println!("{}", report.json());
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
