//! Where the runner connects: a `ws://` or `wss://` URL taken apart, the upgrade request
//! with its Basic `Authorization` header, and the one-line text of a refused upgrade.

use base64::Engine;
use percent_encoding::percent_decode_str;
use tungstenite::client::IntoClientRequest;
use tungstenite::http::{HeaderValue, StatusCode, Uri};

use super::demo::options::Options;

/// A URL taken apart: where to connect, and the upgrade request to send there.
pub struct Target {
    /// The host to connect to (an IPv6 address without its brackets).
    pub host: String,
    /// The port (443 or 80 when the URL names none).
    pub port: u16,
    /// Whether it is `wss://`.
    pub tls: bool,
    /// The upgrade request, with its `Authorization` header when credentials were given.
    pub request: tungstenite::handshake::client::Request,
    /// Whether the request has an `Authorization` header.
    pub authorized: bool,
}

impl Target {
    /// Takes `url` apart; credentials from `options` win over the URL's `user:password@`.
    pub fn parse(url: &str, options: &Options) -> Result<Self, String> {
        let uri: Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let tls = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(format!("{url}: not a ws:// or wss:// URL")),
        };
        let authority = uri.authority().ok_or(format!("{url}: no host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let userinfo = authority
            .as_str()
            .rsplit_once('@')
            .map(|(u, _)| u.to_owned());
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        // --user and --password take precedence over the URL's.
        let credentials = match (&options.user, userinfo) {
            (Some(user), _) => Some((user.clone(), options.password.clone().unwrap_or_default())),
            (None, Some(userinfo)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((&userinfo, ""));
                Some((decode(user), decode(password)))
            }
            (None, None) => None,
        };
        let mut request = uri.into_client_request().map_err(|e| e.to_string())?;
        if let Some((user, password)) = &credentials {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let value =
                HeaderValue::from_str(&format!("Basic {token}")).map_err(|e| e.to_string())?;
            request.headers_mut().insert("authorization", value);
        }
        Ok(Target {
            host,
            port,
            tls,
            request,
            authorized: credentials.is_some(),
        })
    }
}

/// The one-line text of a failed upgrade to WebSocket at `path`.
pub fn refusal(e: tungstenite::Error, path: &str, authorized: bool) -> String {
    let tungstenite::Error::Http(response) = e else {
        return format!("the WebSocket upgrade failed: {e}");
    };
    let status = response.status();
    let code = status.as_u16();
    match status {
        StatusCode::UNAUTHORIZED if authorized => {
            format!("the server refused the credentials (HTTP {code})")
        }
        StatusCode::UNAUTHORIZED => {
            format!("the server wants credentials: pass --user and --password (HTTP {code})")
        }
        StatusCode::NOT_FOUND => format!("no WebSocket API at {path} (HTTP {code})"),
        _ => format!("the server refused the WebSocket upgrade (HTTP {code})"),
    }
}
