//! Is the target sio-replay's own mock? `GET /__mock` says so, and whether a synthetic token
//! (signed with the documented test secret) gets in: then `load` can mint one for the room
//! instead of failing on a missing token.

use std::time::Duration;

use crate::dial::Endpoint;
use crate::http_get::http_get;

/// What the mock says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockInfo {
    /// The namespace it authenticates and replays.
    pub namespace: String,
    /// Its auth mode: `any`, `claims` or `hs256`.
    pub auth: String,
    /// True when a token signed with the test secret is accepted.
    pub synthetic_tokens: bool,
}

/// Asks the endpoint's server whether it is sio-replay's mock; `None` for any other server,
/// for one that does not answer within `limit`, or for a URL that names no server.
pub async fn probe_mock(endpoint: &Endpoint, limit: Duration) -> Option<MockInfo> {
    let uri: http::Uri = endpoint.url.parse().ok()?;
    let scheme = match uri.scheme_str()? {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        _ => return None,
    };
    let url = format!("{scheme}://{}/__mock", uri.authority()?);
    let tls = endpoint.tls_config().ok()?;
    let exchange = http_get(&url, None, &tls, 0.0, limit).await.ok()?;
    if exchange.status != 200 {
        return None;
    }
    let body: serde_json::Value = serde_json::from_str(&exchange.body).ok()?;
    if body.get("server")?.as_str()? != "sio-replay mock" {
        return None;
    }
    Some(MockInfo {
        namespace: body.get("namespace")?.as_str()?.to_owned(),
        auth: body.get("auth")?.as_str()?.to_owned(),
        synthetic_tokens: body.get("synthetic_tokens")?.as_bool()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_mock_is_told_from_other_servers() {
        let mock = rt2_mock::RunningMock::start(
            "127.0.0.1:0".parse().unwrap(),
            rt2_mock::MockConfig::default(),
        )
        .await
        .unwrap();
        let info = probe_mock(&Endpoint::new(mock.url()), Duration::from_secs(5))
            .await
            .expect("the mock says it is one");
        assert_eq!(info.namespace, "/chatomni");
        assert_eq!(info.auth, "any");
        assert!(info.synthetic_tokens);
        mock.shutdown().await.unwrap();

        // Nothing listens there any more: not a mock, and no hang.
        let gone = probe_mock(&Endpoint::new(mock_url_gone()), Duration::from_secs(1)).await;
        assert_eq!(gone, None);
    }

    fn mock_url_gone() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        format!("ws://{addr}")
    }

    #[tokio::test]
    async fn a_mock_with_a_real_secret_takes_no_synthetic_token() {
        let mut config = rt2_mock::MockConfig::default();
        config.auth = rt2_mock::AuthMode::Hs256 {
            secret: b"a real secret".to_vec(),
        };
        let mock = rt2_mock::RunningMock::start("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap();
        let info = probe_mock(&Endpoint::new(mock.url()), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(info.auth, "hs256");
        assert!(!info.synthetic_tokens);
        mock.shutdown().await.unwrap();
    }
}
