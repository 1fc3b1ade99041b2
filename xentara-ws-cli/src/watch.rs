//! `watch`: subscribe and print the events as they come; the client reconnects by itself
//! and subscribes again under the same id.

use std::process::ExitCode;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::{Instant, timeout_at};
use xentara_ws_tokio::{Event, UpdateRates};

use crate::connect::Connect;
use crate::names;

/// `watch URL ELEMENT [ATTRIBUTE…]`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server's URL: ws://HOST:PORT/PATH or wss://…; `user:password@` before the
    /// host gives Basic credentials.
    url: String,
    #[command(flatten)]
    connect: Connect,
    /// The element: a UUID or a primary key.
    element: String,
    /// The attributes (names such as value, quality; numbers; UUIDs).
    #[arg(default_value = "value")]
    attributes: Vec<String>,
    /// At most one event per this many milliseconds (maximum_update_rate).
    #[arg(long, value_name = "MS")]
    throttle: Option<u64>,
    /// At least one event per this many milliseconds, changed or not
    /// (minimum_update_rate).
    #[arg(long, value_name = "MS")]
    heartbeat: Option<u64>,
    /// Stop after this many seconds (default: until interrupted).
    #[arg(long, value_name = "SECONDS")]
    seconds: Option<f64>,
}

/// Runs `watch`.
pub fn run(args: Args) -> Result<ExitCode, String> {
    let attributes = args
        .attributes
        .iter()
        .map(|a| names::attribute(a))
        .collect::<Result<Vec<_>, _>>()?;
    let rates = UpdateRates {
        throttle: args.throttle.map(Duration::from_millis),
        heartbeat: args.heartbeat.map(Duration::from_millis),
    };
    let end = match args.seconds {
        Some(s) => Some(Duration::try_from_secs_f64(s).map_err(|e| format!("--seconds {s}: {e}"))?),
        None => None,
    };
    crate::runtime()?.block_on(async {
        let client = args.connect.client(&args.url).await?;
        let element = names::element(&client, &args.element).await?;
        let mut events = client
            .subscribe(&[(element, &attributes)], rates)
            .await
            .map_err(|e| format!("subscribe: {e}"))?;
        println!("subscribed {} ({element})", events.id());
        let end = end.map(|d| Instant::now() + d);
        loop {
            let next = match end {
                Some(end) => match timeout_at(end, events.next()).await {
                    Ok(next) => next,
                    Err(_) => break,
                },
                None => tokio::select! {
                    next = events.next() => next,
                    _ = tokio::signal::ctrl_c() => break,
                },
            };
            match next {
                Some(Event::Change(change)) => {
                    let values: Vec<String> = change
                        .values
                        .iter()
                        .map(|(attribute, value)| match value {
                            Ok(value) => format!("{attribute} = {value}"),
                            Err(e) => format!("{attribute}: error {}", e.code.code()),
                        })
                        .collect();
                    println!("{} {}", change.time, values.join(", "));
                }
                Some(Event::Reconnected) => {
                    println!("reconnected: subscribed again, changes in between missed");
                }
                None => return Err("the connection closed".to_owned()),
            }
        }
        let connected = client.is_connected();
        client.close().await;
        if connected {
            Ok(ExitCode::SUCCESS)
        } else {
            Err("the connection was lost and not regained".to_owned())
        }
    })
}
