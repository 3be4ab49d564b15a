//! One HTTP GET, recorded as a capture's HTTP exchange (`record --http-get`).

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use sio_capture::HttpRecord;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::ClientError;

/// GETs `url` (http or https) with `Authorization: Bearer <token>` when a token is given, and
/// returns the exchange stamped `t_ms`. The whole exchange must finish within `limit`.
pub(crate) async fn http_get(
    url: &str,
    token: Option<&str>,
    tls: &Arc<rustls::ClientConfig>,
    t_ms: f64,
    limit: Duration,
) -> Result<HttpRecord, ClientError> {
    let fail = |reason: String| ClientError::Http {
        url: url.to_owned(),
        reason,
    };
    let uri: http::Uri = url.parse().map_err(|_| fail("not a URL".to_owned()))?;
    let https = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(fail("the scheme must be http or https".to_owned())),
    };
    let host = uri
        .host()
        .ok_or_else(|| fail("missing host".to_owned()))?
        .to_owned();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let authority = uri
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_else(|| host.clone());

    let mut request = http::Request::get(uri.path_and_query().map_or("/", |pq| pq.as_str()))
        .header(http::header::HOST, authority)
        .header(http::header::ACCEPT, "application/json");
    let mut request_headers = vec![("Accept".to_owned(), "application/json".to_owned())];
    if let Some(token) = token {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        // The writer's redactor replaces the value; it is kept here so redaction is reported.
        request_headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
    let request = request
        .body(Empty::<bytes::Bytes>::new())
        .map_err(|e| fail(e.to_string()))?;

    let exchange = async {
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| fail(e.to_string()))?;
        if https {
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|e| fail(e.to_string()))?;
            let stream = tokio_rustls::TlsConnector::from(Arc::clone(tls))
                .connect(name, tcp)
                .await
                .map_err(|e| fail(e.to_string()))?;
            send(stream, request).await.map_err(fail)
        } else {
            send(tcp, request).await.map_err(fail)
        }
    };
    let (status, response_headers, body) = tokio::time::timeout(limit, exchange)
        .await
        .map_err(|_| fail(format!("no response within {} s", limit.as_secs())))??;

    let query = uri
        .query()
        .map(|q| {
            q.split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (k.to_owned(), v.to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    let (body, body_base64) = match String::from_utf8(body) {
        Ok(text) => (text, false),
        Err(err) => {
            use base64::Engine as _;
            (
                base64::engine::general_purpose::STANDARD.encode(err.as_bytes()),
                true,
            )
        }
    };
    Ok(HttpRecord {
        t_ms,
        method: "GET".to_owned(),
        url: url.to_owned(),
        query,
        request_headers,
        request_body: None,
        status,
        response_headers,
        body,
        body_base64,
    })
}

type Response = (u16, Vec<(String, String)>, Vec<u8>);

async fn send<S>(stream: S, request: http::Request<Empty<bytes::Bytes>>) -> Result<Response, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes()
        .to_vec();
    driver.abort();
    Ok((status, headers, body))
}
