//! `wss://` with a self-signed certificate on 127.0.0.1, as Xentara devices are reached:
//! refused with the public roots, accepted with its file, pinned, or insecure.

mod common;

use std::path::PathBuf;

use common::within;
use rustls_pki_types::CertificateDer;
use tempfile::TempDir;
use tokio::net::TcpListener;
use xentara_ws_tokio::{Client, Error, Peer, Server, Stage, Trust};

/// Writes `text` to the file `name` in `dir`; its path.
fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A self-signed certificate for a name that is not the address it is served on.
fn self_signed() -> rcgen::CertifiedKey<rcgen::KeyPair> {
    rcgen::generate_simple_self_signed(vec!["xentara.local".to_owned()]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_on_a_bare_ip() {
    let dir = TempDir::new().unwrap();
    let certified = self_signed();
    let cert = write(&dir, "server.pem", &certified.cert.pem());
    let key = write(&dir, "server.key", &certified.signing_key.serialize_pem());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::builder(|_: &Peer| {
        Some(common::TestApp {
            model: Default::default(),
            answers: None,
        })
    })
    .tls_pem(&cert, &key)
    .unwrap()
    .serve(listener)
    .unwrap();
    let url = format!("wss://{}/api/ws", server.local_addr());
    within(10, async {
        let connect = |trust: Trust| Client::builder(url.clone()).trust(trust).connect();

        match connect(Trust::PublicRoots).await {
            Err(Error::Tls(rustls::Error::InvalidCertificate(e))) => {
                assert_eq!(e, rustls::CertificateError::UnknownIssuer);
            }
            other => panic!("{other:?}"),
        }
        let der = CertificateDer::from(certified.cert.der().to_vec());
        for trust in [Trust::Ca(cert.clone()), Trust::Pinned(der), Trust::Insecure] {
            let client = connect(trust.clone()).await.unwrap();
            assert_eq!(
                client.get_stage().await.unwrap(),
                Stage::Operational,
                "{trust:?}"
            );
            client.close().await;
        }
        let other = CertificateDer::from(self_signed().cert.der().to_vec());
        assert!(matches!(
            connect(Trust::Pinned(other)).await,
            Err(Error::Tls(_))
        ));
        let missing = Trust::Ca(dir.path().join("missing.pem"));
        assert!(matches!(connect(missing).await, Err(Error::TlsConfig(_))));
    })
    .await;
}
