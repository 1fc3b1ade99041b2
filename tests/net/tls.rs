//! `wss://` end to end: the demo server over TLS (`demo::server::serve_tls`) with
//! certificates made here (rcgen), and the demo client's walk (`demo::client::run_walk`,
//! what `client [options] URL` runs) trusting them each way the client can: `--insecure`,
//! `--ca` with the server's own self-signed certificate, `--ca` with the CA that signed
//! it, and neither. Then the one-line errors: a refused certificate, bad credentials
//! (HTTP 401), a wrong path (HTTP 404).

use xentara_ws_support::demo;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::thread;

use tempfile::TempDir;

use demo::client::Options;
use demo::options::Trust;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// Writes `text` to the file `name` in `dir`; its path.
fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The names the test certificates are for.
fn names() -> Vec<String> {
    vec!["localhost".to_owned(), "127.0.0.1".to_owned()]
}

/// Serves the demo over TLS on a fresh loopback port (for the rest of the process) with
/// the certificate chain and key of these PEM files; its address.
fn start_tls_server(chain: &Path, key: &Path) -> SocketAddr {
    let config = demo::server::server_config(chain, key).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || demo::server::serve_tls(listener, None, config));
    addr
}

/// A self-signed certificate for [`names`] and its key, as `NAME.pem` and `NAME.key`.
fn self_signed(dir: &TempDir, name: &str) -> (PathBuf, PathBuf) {
    let certified = rcgen::generate_simple_self_signed(names()).unwrap();
    let cert = write(dir, &format!("{name}.pem"), &certified.cert.pem());
    let key = write(
        dir,
        &format!("{name}.key"),
        &certified.signing_key.serialize_pem(),
    );
    (cert, key)
}

/// A server with a self-signed certificate for [`names`]; its address and the
/// certificate's PEM file.
fn self_signed_server(dir: &TempDir) -> (SocketAddr, PathBuf) {
    let (cert, key) = self_signed(dir, "server");
    (start_tls_server(&cert, &key), cert)
}

/// The walk at `url`: what it printed, or its error's text.
fn walk(url: &str, options: Options) -> Result<String, String> {
    let mut out = Vec::new();
    let result = demo::client::run_walk(url, &options, &mut out);
    let text = String::from_utf8(out).unwrap();
    result.map(|()| text).map_err(|e| e.to_string())
}

fn trusting(trust: Trust) -> Options {
    Options {
        trust,
        ..Options::default()
    }
}

/// The walk's steps, as `tests/e2e.rs` checks them over `ws://`.
fn assert_walked(result: Result<String, String>) {
    let text = result.unwrap_or_else(|e| panic!("the walk failed: {e}"));
    if let Err(e) = demo::client::check_walk(&text) {
        panic!("{e}");
    }
}

/// An error of the client: one line, exactly `expected`.
fn assert_error(result: Result<String, String>, expected: &str) {
    match result {
        Ok(text) => panic!("the walk succeeded, expected {expected:?}:\n{text}"),
        Err(e) => assert_eq!(e, expected),
    }
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_self_signed_server_is_walked_with_insecure_or_its_certificate_and_refused_otherwise() {
    let dir = TempDir::new().unwrap();
    let (addr, cert) = self_signed_server(&dir);
    let port = addr.port();

    assert_walked(walk(
        &format!("wss://localhost:{port}/api/ws"),
        trusting(Trust::Insecure),
    ));
    assert_walked(walk(
        &format!("wss://127.0.0.1:{port}/api/ws"),
        trusting(Trust::Ca(cert.clone())),
    ));
    assert_error(
        walk(
            &format!("wss://localhost:{port}/api/ws"),
            Options::default(),
        ),
        "TLS: invalid peer certificate: UnknownIssuer — pass --ca FILE or --insecure",
    );
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn a_certificate_signed_by_the_ca_of_ca_file_is_checked_against_it() {
    let dir = TempDir::new().unwrap();
    let mut ca = CertificateParams::new(Vec::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "xentara-ws test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    // The server's certificate is for "localhost" only.
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let chain = write(&dir, "chain.pem", &leaf.pem());
    let key = write(&dir, "key.pem", &key.serialize_pem());
    let ca_file = write(&dir, "ca.pem", &ca.pem());
    let port = start_tls_server(&chain, &key).port();

    assert_walked(walk(
        &format!("wss://localhost:{port}/api/ws"),
        trusting(Trust::Ca(ca_file.clone())),
    ));
    // Verified through the CA, the certificate's names count.
    assert_error(
        walk(
            &format!("wss://127.0.0.1:{port}/api/ws"),
            trusting(Trust::Ca(ca_file)),
        ),
        "TLS: invalid peer certificate: certificate not valid for name \"127.0.0.1\"; \
         certificate is only valid for DnsName(\"localhost\")",
    );
    // Another CA's file does not do.
    let (other, _) = self_signed(&dir, "other");
    let expected = format!(
        "TLS: invalid peer certificate: UnknownIssuer — the server's certificate is neither \
         in {} nor signed by one in it",
        other.display()
    );
    assert_error(
        walk(
            &format!("wss://localhost:{port}/api/ws"),
            trusting(Trust::Ca(other)),
        ),
        &expected,
    );
}

#[cfg_attr(miri, ignore = "TCP sockets are not supported under miri")]
#[test]
fn credentials_in_the_url_or_the_options_go_in_a_basic_header_and_a_401_or_404_is_one_line() {
    let dir = TempDir::new().unwrap();
    let (addr, _) = self_signed_server(&dir);
    let port = addr.port();
    let insecure = || trusting(Trust::Insecure);

    assert_error(
        walk(
            &format!("wss://wrong:wrong@localhost:{port}/api/ws"),
            insecure(),
        ),
        "the server refused the credentials (HTTP 401)",
    );
    let options = Options {
        user: Some("admin".to_owned()),
        password: Some("wrong".to_owned()),
        ..insecure()
    };
    assert_error(
        walk(&format!("wss://localhost:{port}/api/ws"), options),
        "the server refused the credentials (HTTP 401)",
    );
    assert_error(
        walk(&format!("wss://localhost:{port}/other"), insecure()),
        "no WebSocket API at /other (HTTP 404)",
    );
    // The right credentials, percent-encoded in part: the walk goes through.
    assert_walked(walk(
        &format!("wss://admin:%61dmin@localhost:{port}/api/ws"),
        insecure(),
    ));
}
