//! TLS for the demo (`wss://`), on rustls with the ring provider: what the client trusts,
//! and the server's certificate and key from PEM files.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig,
    SignatureScheme,
};

/// What the client trusts of a server's certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Trust {
    /// The Mozilla roots (webpki-roots): certificates of a public CA.
    #[default]
    PublicRoots,
    /// The certificates of a PEM file: as CA roots, and each as the server's own
    /// certificate, taken as it is (a self-signed one, such as Xentara's by default, is
    /// trusted whatever its names and dates say, like a browser's exception for it).
    Ca(PathBuf),
    /// Any certificate (`--insecure`). The handshake still proves that the server holds
    /// the key of the certificate it sent, but not who it is.
    Insecure,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client's TLS configuration for `trust`.
pub fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = match trust {
        Trust::PublicRoots => {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            builder.with_root_certificates(roots)
        }
        Trust::Ca(path) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned::load(path, &provider)?)),
        Trust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned::any(&provider))),
    };
    Ok(Arc::new(config.with_no_client_auth()))
}

/// The one-line text of a failed TLS handshake (an `io::Error` from tokio-rustls, which
/// carries rustls' error when the handshake itself failed).
pub fn handshake_error(e: &std::io::Error, trust: &Trust) -> String {
    let Some(tls) = e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) else {
        return format!("TLS: {e}");
    };
    let rustls::Error::InvalidCertificate(certificate) = tls else {
        return format!("TLS: {tls}");
    };
    // webpki's own reasons (CaUsedAsEndEntity, say) without rustls' `Other(…)` around them.
    let why = match certificate {
        CertificateError::Other(other) => format!("invalid peer certificate: {other}"),
        _ => tls.to_string(),
    };
    match (certificate, trust) {
        // Self-signed (UnknownIssuer, or CaUsedAsEndEntity when it says it is a CA), for
        // another name, expired: --ca FILE with the very certificate takes it as it is.
        (_, Trust::PublicRoots) => format!("TLS: {why} — pass --ca FILE or --insecure"),
        (CertificateError::UnknownIssuer, Trust::Ca(path)) => format!(
            "TLS: {why} — the server's certificate is neither in {} nor signed by one in it",
            path.display()
        ),
        _ => format!("TLS: {why}"),
    }
}

/// `--ca FILE`: the file's certificates as roots, or the very certificate the server sent;
/// `--insecure`: any certificate. Either way the handshake's signatures are still checked.
struct Pinned {
    /// `--insecure`.
    any: bool,
    certificates: Vec<CertificateDer<'static>>,
    /// `None` when no certificate of the file can be a root.
    roots: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl Pinned {
    fn load(path: &Path, provider: &Arc<CryptoProvider>) -> Result<Self, String> {
        let what = |e: &dyn fmt::Display| format!("--ca {}: {e}", path.display());
        let certificates = CertificateDer::pem_file_iter(path)
            .map_err(|e| what(&e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| what(&e))?;
        if certificates.is_empty() {
            return Err(what(&"no certificate in it"));
        }
        let mut store = RootCertStore::empty();
        store.add_parsable_certificates(certificates.iter().cloned());
        let roots = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
            .build()
            .ok();
        Ok(Pinned {
            any: false,
            certificates,
            roots,
            algorithms: provider.signature_verification_algorithms,
        })
    }
}

impl Pinned {
    /// `--insecure`.
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

/// The server's TLS configuration: a PEM certificate chain (the server's own first) and a
/// PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("--cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("--cert {}: no certificate in it", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| match e {
        pem::Error::NoItemsFound => format!("--key {}: no private key in it", key.display()),
        e => format!("--key {}: {e}", key.display()),
    })?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| format!("TLS: {e}"))?;
    Ok(Arc::new(config))
}
