//! Forward mode: an HTTP proxy for browsers. `CONNECT host:port` to an intercepted host is
//! answered `200`, TLS is terminated with the CA's leaf for that host, and each request
//! inside goes to [`service::relay`] with the upstream `https://host:port` (the same path as
//! reverse mode). Any other `CONNECT` is tunnelled blind. Absolute-form requests
//! (`GET http://host/...`) are relayed with the upstream `http://host`. An origin-form
//! request (`GET /...`) names no upstream: it gets the `Host` check and an explanation.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::config::Upstream;
use crate::respond::{ProxyBody, full, text};
use crate::service;
use crate::state::Shared;
use crate::upstream::Dialer;

/// Answers one request from `peer` to the forward proxy at `local`.
pub(crate) async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    peer: SocketAddr,
    local: IpAddr,
) -> Result<Response<ProxyBody>, Infallible> {
    if req.method() == Method::CONNECT {
        return Ok(connect(req, shared, peer).await);
    }
    let uri = req.uri();
    match (uri.scheme_str(), uri.authority()) {
        (Some("http"), Some(authority)) => {
            let upstream = match Upstream::parse(&format!("http://{authority}")) {
                Ok(upstream) => upstream,
                Err(err) => return Ok(text(StatusCode::BAD_REQUEST, format!("{err}\n"))),
            };
            let dialer = match dialer(&shared, &upstream) {
                Ok(dialer) => dialer,
                Err(err) => return Ok(text(StatusCode::BAD_REQUEST, format!("{err}\n"))),
            };
            service::relay(req, shared, dialer, peer).await
        }
        (Some(scheme), _) => Ok(text(
            StatusCode::BAD_REQUEST,
            format!(
                "sio-replay proxy: {scheme}:// in a request line is not relayed; \
                 https:// goes through CONNECT\n"
            ),
        )),
        _ => {
            if let Some(refusal) = service::refuse_host(&req, &shared, local) {
                return Ok(refusal);
            }
            Ok(text(
                StatusCode::BAD_REQUEST,
                "sio-replay proxy: this is a forward proxy; set it as the HTTP proxy \
                 (e.g. chromium --proxy-server=http://127.0.0.1:PORT) instead of opening it\n"
                    .to_owned(),
            ))
        }
    }
}

fn dialer(shared: &Shared, upstream: &Upstream) -> Result<Arc<Dialer>, crate::ProxyError> {
    let via = shared.forward().and_then(|f| f.upstream_proxy.as_ref());
    Ok(Arc::new(Dialer::new(upstream, &shared.tls_client, via)?))
}

/// `CONNECT host:port`: intercepted or tunnelled blind.
async fn connect(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    peer: SocketAddr,
) -> Response<ProxyBody> {
    let Some(authority) = req.uri().authority().cloned() else {
        return text(
            StatusCode::BAD_REQUEST,
            "sio-replay proxy: CONNECT needs host:port\n".to_owned(),
        );
    };
    let mut upstream = match Upstream::parse(&format!("https://{authority}")) {
        Ok(upstream) => upstream,
        Err(err) => return text(StatusCode::BAD_REQUEST, format!("{err}\n")),
    };
    let forward = shared.forward().cloned().unwrap_or_default();
    let ca = forward
        .ca
        .as_ref()
        .filter(|_| forward.intercepts(&upstream.host));
    if let Some(ca) = ca {
        let server_config = match ca.server_config(&upstream.host) {
            Ok(config) => config,
            Err(err) => {
                return text(
                    StatusCode::BAD_GATEWAY,
                    format!("sio-replay proxy: {err}\n"),
                );
            }
        };
        let dialer = match dialer(&shared, &upstream) {
            Ok(dialer) => dialer,
            Err(err) => return text(StatusCode::BAD_REQUEST, format!("{err}\n")),
        };
        tracing::info!("CONNECT {authority} from {peer}: intercepted");
        tokio::spawn(intercept(req, shared, dialer, server_config, peer));
    } else {
        // Blind: the bytes are whatever the client and the server say; no TLS here.
        upstream.tls = false;
        let stream = match dialer(&shared, &upstream) {
            Ok(dialer) => dialer.connect().await,
            Err(err) => Err(err.to_string()),
        };
        let stream = match stream {
            Ok(stream) => stream,
            Err(cause) => {
                tracing::warn!("CONNECT {authority}: {cause}");
                return text(
                    StatusCode::BAD_GATEWAY,
                    format!("sio-replay proxy: {cause}\n"),
                );
            }
        };
        tracing::info!("CONNECT {authority} from {peer}: tunnelled blind");
        tokio::spawn(tunnel(req, shared, stream));
    }
    Response::new(full(""))
}

/// Terminates TLS on the client's tunnel and serves its requests through [`service::relay`].
async fn intercept(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    dialer: Arc<Dialer>,
    server_config: Arc<rustls::ServerConfig>,
    peer: SocketAddr,
) {
    let mut stopping = shared.stopping.clone();
    let upgraded = match hyper::upgrade::on(req).await {
        Ok(upgraded) => upgraded,
        Err(err) => return tracing::debug!("CONNECT from {peer}: no tunnel: {err}"),
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(server_config);
    let tls = match acceptor.accept(TokioIo::new(upgraded)).await {
        Ok(tls) => tls,
        Err(err) => {
            // A browser that does not trust the CA (and has no SPKI pin) ends up here.
            return tracing::warn!(
                "TLS from {peer} for {} failed: {err} (does the client trust the CA?)",
                dialer.upstream().authority
            );
        }
    };
    let relay_shared = Arc::clone(&shared);
    let service = service_fn(move |req| {
        service::relay(req, Arc::clone(&relay_shared), Arc::clone(&dialer), peer)
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .preserve_header_case(true)
        .auto_date_header(false)
        .serve_connection(TokioIo::new(tls), service)
        .with_upgrades();
    tokio::select! {
        result = connection => if let Err(err) = result {
            tracing::debug!("intercepted connection from {peer}: {err}");
        },
        () = crate::state::stopped(&mut stopping) => {}
    }
}

/// Copies bytes both ways between the client's tunnel and `upstream`, unread.
async fn tunnel(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    mut upstream: Box<dyn crate::upstream::Stream>,
) {
    let mut stopping = shared.stopping.clone();
    let Ok(upgraded) = hyper::upgrade::on(req).await else {
        return;
    };
    let mut client = TokioIo::new(upgraded);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
        () = crate::state::stopped(&mut stopping) => {}
    }
}
