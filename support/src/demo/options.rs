//! The connection options the demo client, the conformance runner and the load generator
//! share on their command lines (`--user`, `--password`, `--ca`, `--insecure`), and the
//! one-line texts of the ways connecting fails, with what to pass instead.

pub use xentara_ws_tokio::Trust;
use xentara_ws_tokio::{Client, ClientBuilder, Error};

/// How a tool connects (the command line's options).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The user of a Basic `Authorization` header (`--user`); a URL's `user:password@`
    /// is the other way to give one.
    pub user: Option<String>,
    /// Its password (`--password`; empty when only a user is given).
    pub password: Option<String>,
    /// What a `wss://` server's certificate must be (`--ca FILE`, `--insecure`).
    pub trust: Trust,
}

impl Options {
    /// Takes `arg` when it is one of the connection options (`--user U`, `--password P`,
    /// `--ca FILE`, `--insecure`), its value from `rest`: `Some(true)` when it was one,
    /// `Some(false)` when it is not, `None` when it cannot be (a value missing, or a second
    /// `--ca`/`--insecure`).
    pub fn take<'a>(
        &mut self,
        arg: &str,
        rest: &mut impl Iterator<Item = &'a str>,
    ) -> Option<bool> {
        let chosen = !matches!(self.trust, Trust::PublicRoots);
        match arg {
            "--user" => self.user = Some(rest.next()?.to_owned()),
            "--password" => self.password = Some(rest.next()?.to_owned()),
            "--ca" | "--insecure" if chosen => return None,
            "--ca" => self.trust = Trust::Ca(rest.next()?.into()),
            "--insecure" => self.trust = Trust::Insecure,
            _ => return Some(false),
        }
        Some(true)
    }

    /// Whether they go together: a password needs a user.
    pub fn complete(&self) -> bool {
        self.user.is_some() || self.password.is_none()
    }

    /// A client of `url` with these options.
    pub fn client(&self, url: &str) -> ClientBuilder {
        let mut builder = Client::builder(url).trust(self.trust.clone());
        if let Some(user) = &self.user {
            builder = builder.credentials(user, self.password.as_deref().unwrap_or(""));
        }
        builder
    }

    /// Whether a request to `url` carries credentials.
    pub fn authorized(&self, url: &str) -> bool {
        let authority = url.split("://").nth(1).unwrap_or("");
        self.user.is_some() || authority.split('/').next().unwrap_or("").contains('@')
    }

    /// The one-line text of a failure to connect to `url`, saying which option would
    /// help where one would.
    pub fn explain(&self, url: &str, e: &Error) -> String {
        match e {
            Error::Unauthorized if !self.authorized(url) => {
                "the server wants credentials: pass --user and --password (HTTP 401)".to_owned()
            }
            Error::Tls(tls) => self.tls_error(tls),
            e => e.to_string(),
        }
    }

    /// The one-line text of a failed TLS handshake.
    pub fn tls_error(&self, e: &rustls::Error) -> String {
        let rustls::Error::InvalidCertificate(certificate) = e else {
            return format!("TLS: {e}");
        };
        // webpki's own reasons (CaUsedAsEndEntity, say) without rustls' `Other(…)` around
        // them.
        let why = match certificate {
            rustls::CertificateError::Other(other) => format!("invalid peer certificate: {other}"),
            _ => e.to_string(),
        };
        match (certificate, &self.trust) {
            // Self-signed (UnknownIssuer, or CaUsedAsEndEntity when it says it is a CA),
            // for another name, expired: --ca FILE with the very certificate takes it.
            (_, Trust::PublicRoots) => format!("TLS: {why} — pass --ca FILE or --insecure"),
            (rustls::CertificateError::UnknownIssuer, Trust::Ca(path)) => format!(
                "TLS: {why} — the server's certificate is neither in {} nor signed by one in it",
                path.display()
            ),
            _ => format!("TLS: {why}"),
        }
    }
}
