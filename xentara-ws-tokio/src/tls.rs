//! TLS on rustls with the ring provider: what a client trusts of a server's certificate
//! ([`Trust`]), and a server's configuration from PEM files ([`server_config`]).
//!
//! Xentara devices are reached on bare IP addresses with self-signed certificates, so
//! besides the public roots a client can trust a CA file, one pinned certificate, or
//! anything: [`Trust::Ca`] and [`Trust::Pinned`] accept the very certificate they hold
//! whatever its names and dates say (as a browser's exception does), and every choice
//! still checks the handshake's signatures.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::Error;

/// What a client trusts of a `wss://` server's certificate.
#[derive(Debug, Clone, Default)]
pub enum Trust {
    /// The Mozilla roots (webpki-roots): certificates of a public CA.
    #[default]
    PublicRoots,
    /// The certificates of a PEM file: as CA roots, and each as the server's own
    /// certificate, taken as it is (a self-signed one is trusted whatever its names and
    /// dates say).
    Ca(PathBuf),
    /// Exactly this certificate (DER), whatever its names and dates say.
    Pinned(CertificateDer<'static>),
    /// Any certificate. The handshake still proves that the server holds the key of the
    /// certificate it sent, but not who it is.
    Insecure,
    /// A rustls configuration of the caller's (client certificates, other roots, …).
    Config(Arc<rustls::ClientConfig>),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Trust {
    /// The rustls client configuration for this trust.
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        let provider = provider();
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(Error::Tls)?;
        let config = match self {
            Trust::Config(config) => return Ok(config.clone()),
            Trust::PublicRoots => builder.with_root_certificates(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
            Trust::Ca(path) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Pinned::load(path, &provider)?)),
            Trust::Pinned(certificate) => {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(Pinned::new(
                        vec![certificate.clone()],
                        &provider,
                    )))
            }
            Trust::Insecure => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Pinned::any(&provider))),
        };
        Ok(Arc::new(config.with_no_client_auth()))
    }
}

/// Accepts the certificates it holds as they are, else checks against them as roots
/// (or accepts anything, for [`Trust::Insecure`]); signatures are always checked.
struct Pinned {
    any: bool,
    certificates: Vec<CertificateDer<'static>>,
    /// `None` when no certificate held can be a root.
    roots: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl Pinned {
    fn load(path: &Path, provider: &Arc<CryptoProvider>) -> Result<Self, Error> {
        let what = |e: &dyn fmt::Display| Error::TlsConfig(format!("{}: {e}", path.display()));
        let certificates = CertificateDer::pem_file_iter(path)
            .map_err(|e| what(&e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| what(&e))?;
        if certificates.is_empty() {
            return Err(what(&"no certificate in it"));
        }
        Ok(Pinned::new(certificates, provider))
    }

    fn new(certificates: Vec<CertificateDer<'static>>, provider: &Arc<CryptoProvider>) -> Self {
        let mut store = RootCertStore::empty();
        store.add_parsable_certificates(certificates.iter().cloned());
        let roots = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
            .build()
            .ok();
        Pinned {
            any: false,
            certificates,
            roots,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    fn any(provider: &Arc<CryptoProvider>) -> Self {
        Pinned {
            any: true,
            certificates: Vec::new(),
            roots: None,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl fmt::Debug for Pinned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pinned({} certificates)", self.certificates.len())
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.any || self.certificates.iter().any(|c| c == end_entity) {
            return Ok(ServerCertVerified::assertion());
        }
        match &self.roots {
            Some(roots) => {
                roots.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            }
            None => Err(CertificateError::UnknownIssuer.into()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A server's TLS configuration from PEM files: a certificate chain (the server's own
/// first) and a private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, Error> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::TlsConfig(format!("{}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(Error::TlsConfig(format!(
            "{}: no certificate in it",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| Error::TlsConfig(format!("{}: {e}", key.display())))?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .map_err(Error::Tls)?;
    Ok(Arc::new(config))
}
