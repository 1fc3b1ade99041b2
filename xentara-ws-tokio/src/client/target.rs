//! Where a client connects: the URL taken apart, its credentials as a Basic
//! `Authorization` header, and the WebSocket upgrade request.

use base64::Engine;
use percent_encoding::percent_decode_str;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Uri};

use crate::Error;

/// A parsed `ws://` or `wss://` URL.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: bool,
    pub(crate) path: String,
    /// The upgrade request, with the `Authorization` header when there are credentials.
    pub(crate) request: Request,
}

/// `Basic base64(user:password)` (RFC 7617).
pub(crate) fn basic_auth(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

impl Target {
    /// Parses `url`; `credentials` (user, password) win over the URL's userinfo, which is
    /// percent-decoded.
    pub(crate) fn parse(url: &str, credentials: Option<(&str, &str)>) -> Result<Self, Error> {
        let bad = |shown: &str, reason: &str| Error::Url {
            url: shown.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri =
            url.parse()
                .map_err(|e: tokio_tungstenite::tungstenite::http::uri::InvalidUri| {
                    bad("the URL", &e.to_string())
                })?;
        let tls = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(bad(&shown(&uri), "not a ws:// or wss:// URL")),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| bad(&shown(&uri), "no host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(bad(&shown(&uri), "no host"));
        }
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let userinfo = authority
            .as_str()
            .rsplit_once('@')
            .map(|(u, _)| u.to_owned());
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| bad(&shown(&uri), "the credentials are not UTF-8"))
        };
        let credentials = match (credentials, userinfo) {
            (Some((user, password)), _) => Some((user.to_owned(), password.to_owned())),
            (None, Some(userinfo)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((&userinfo, ""));
                Some((decode(user)?, decode(password)?))
            }
            (None, None) => None,
        };
        let host = host.to_owned();
        let path = uri.path().to_owned();
        let shown_url = shown(&uri);
        let mut request = uri
            .into_client_request()
            .map_err(|e| bad(&shown_url, &e.to_string()))?;
        if let Some((user, password)) = &credentials {
            let value = HeaderValue::from_str(&basic_auth(user, password))
                .map_err(|_| bad(&shown_url, "the credentials cannot be sent in a header"))?;
            request.headers_mut().insert("authorization", value);
        }
        Ok(Target {
            host,
            port,
            tls,
            path,
            request,
        })
    }
}

/// The URL without its userinfo, for messages.
fn shown(uri: &Uri) -> String {
    let host_port = uri
        .authority()
        .map(|a| a.as_str().rsplit_once('@').map_or(a.as_str(), |(_, h)| h))
        .unwrap_or("");
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    format!("{}://{host_port}{path}", uri.scheme_str().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_decoded_into_a_basic_header() {
        let t = Target::parse("wss://ad%40min:p%3Ass@192.168.1.2:8443/api/ws", None).unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.tls),
            ("192.168.1.2", 8443, true)
        );
        assert_eq!(t.path, "/api/ws");
        let header = t.request.headers().get("authorization").unwrap();
        assert_eq!(header.to_str().unwrap(), basic_auth("ad@min", "p:ss"));
        assert_eq!(basic_auth("admin", "admin"), "Basic YWRtaW46YWRtaW4=");
    }

    #[test]
    fn explicit_credentials_win_and_ports_default() {
        let t = Target::parse("ws://u:p@[::1]/x", Some(("a", "b"))).unwrap();
        assert_eq!((t.host.as_str(), t.port, t.tls), ("::1", 80, false));
        let header = t.request.headers().get("authorization").unwrap();
        assert_eq!(header.to_str().unwrap(), basic_auth("a", "b"));
        let t = Target::parse("wss://h/api/ws", None).unwrap();
        assert_eq!(t.port, 443);
        assert!(t.request.headers().get("authorization").is_none());
    }

    #[test]
    fn other_schemes_are_refused_without_showing_credentials() {
        let e = Target::parse("http://u:secret@h/api/ws", None).unwrap_err();
        assert_eq!(e.to_string(), "http://h/api/ws: not a ws:// or wss:// URL");
    }
}
