//! How a command that takes a URL connects: credentials and TLS trust, the same flags
//! everywhere.

use std::path::PathBuf;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use xentara_ws_support::demo::options::{Options, Trust};
use xentara_ws_tokio::{Client, Error};

/// Credentials and trust.
#[derive(Debug, clap::Args)]
pub struct Connect {
    /// The user of a Basic `Authorization` header (instead of the URL's).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Its password.
    #[arg(long, value_name = "PASSWORD", requires = "user")]
    pub password: Option<String>,
    /// Trust the server's certificate when it is, or was signed by, one in this PEM file
    /// (a device's self-signed certificate, say).
    #[arg(long, value_name = "FILE", group = "trust")]
    pub ca: Option<PathBuf>,
    /// Trust exactly this certificate (PEM or DER), whatever its names and dates say.
    #[arg(long, value_name = "CERT", group = "trust")]
    pub pin: Option<PathBuf>,
    /// Trust any certificate (the handshake still proves the server holds its key).
    #[arg(long, group = "trust")]
    pub insecure: bool,
}

impl Connect {
    /// The options the shared connection code takes.
    pub fn options(&self) -> Result<Options, String> {
        let trust = if let Some(path) = &self.ca {
            Trust::Ca(path.clone())
        } else if let Some(path) = &self.pin {
            Trust::Pinned(certificate(path)?)
        } else if self.insecure {
            Trust::Insecure
        } else {
            Trust::PublicRoots
        };
        Ok(Options {
            user: self.user.clone(),
            password: self.password.clone(),
            trust,
        })
    }

    /// Connects a client to `url`; a failure is one line.
    pub async fn client(&self, url: &str) -> Result<Client, String> {
        let options = self.options()?;
        options
            .client(url)
            .connect()
            .await
            .map_err(|e: Error| options.explain(url, &e))
    }
}

/// The certificate of a PEM file (its first), or of a DER file.
fn certificate(path: &PathBuf) -> Result<CertificateDer<'static>, String> {
    let shown = |e: &dyn std::fmt::Display| format!("--pin {}: {e}", path.display());
    let bytes = std::fs::read(path).map_err(|e| shown(&e))?;
    if bytes.starts_with(b"-----") {
        CertificateDer::from_pem_slice(&bytes).map_err(|e| shown(&e))
    } else {
        Ok(CertificateDer::from(bytes))
    }
}
