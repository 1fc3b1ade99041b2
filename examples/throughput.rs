//! Throughput of a Xentara WebSocket server against a bare echo server, and of the
//! `xentara-ws-tokio` client against a hand-driven session:
//! `xentara_ws_support::throughput` says what each mode measures and prints.
//!
//! ```text
//! cargo run --release --example throughput -- echo --listen 127.0.0.1:8081
//! cargo run --release --example throughput -- server ws://127.0.0.1:8080/api/ws \
//!     --echo ws://127.0.0.1:8081/api/ws [--connections 8] [--in-flight 4] [--reads 16] [--seconds 5]
//! cargo run --release --example throughput -- client ws://127.0.0.1:8080/api/ws [--tasks 64] [--seconds 10] \
//!     [--workers W] [--rounds N]
//! ```

use std::process::ExitCode;

use xentara_ws_support::throughput::{
    Run, USAGE, ceiling, compare_client_rounds, load, load_table_head, load_table_row, parse_args,
    runtime, serve_echo,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = match parse_args(&args) {
        Ok(run) => run,
        Err(e) => {
            eprintln!("throughput: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Run::Echo { listen } = &run {
        let listener = match std::net::TcpListener::bind(listen) {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("throughput: cannot listen on {listen}: {e}");
                return ExitCode::FAILURE;
            }
        };
        match listener.local_addr() {
            Ok(addr) => eprintln!("serving ws://{addr}/api/ws (echo)"),
            Err(e) => eprintln!("throughput: {e}"),
        }
        if let Err(e) = serve_echo(listener) {
            eprintln!("throughput: echo: {e}");
        }
        return ExitCode::FAILURE;
    }
    let workers = match &run {
        Run::Client(config) => config.workers,
        _ => None,
    };
    let runtime = match runtime(workers) {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("throughput: no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (ok, table, json, failures) = match run {
        Run::Echo { .. } => return ExitCode::FAILURE,
        Run::Server {
            load: config,
            echo,
            echo_pid,
        } => match echo {
            None => {
                let server = runtime.block_on(load(config));
                (
                    server.ok(),
                    load_table_head() + &load_table_row("server", &server),
                    server.json(),
                    vec![server.failure.clone()],
                )
            }
            Some(url) => {
                let both = runtime.block_on(ceiling(config, url, echo_pid));
                let failures = vec![both.server.failure.clone(), both.echo.failure.clone()];
                let ok = both.server.ok() && both.echo.ok();
                (ok, both.table(), both.json(), failures)
            }
        },
        Run::Client(config) => {
            let rounds = runtime.block_on(compare_client_rounds(config));
            let failures = rounds.failures().into_iter().map(Some).collect();
            (rounds.ok(), rounds.table(), rounds.json(), failures)
        }
    };
    for failure in failures.into_iter().flatten() {
        eprintln!("throughput: {failure}");
    }
    println!("{table}");
    println!("{json}");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
