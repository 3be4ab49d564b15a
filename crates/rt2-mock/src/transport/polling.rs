//! The long-polling transport: `GET` waits for the session's next payload, `POST` delivers
//! the client's packets. Both are requests to the session task; this module only turns
//! answers into HTTP.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use sio_session::RequestError;
use tokio::sync::{mpsc, oneshot};

use crate::http::response::{self, Body};
use crate::session::messages::{PollAnswer, SessionInput};

/// The connection must be cut without an answer (the "drop the connection" fault). Returned
/// as the service's error, which makes hyper close the connection at once.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
pub(crate) struct DropConnection;

/// The Engine.IO refusal as HTTP: the status the reference server uses and its error JSON.
pub(crate) fn refusal(err: RequestError) -> Response<Body> {
    let status = StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    response::with_body(status, "application/json", err.json_body())
}

/// Waits for the session's answer to a `GET` and writes it.
///
/// # Errors
/// [`DropConnection`] when a fault cuts the connection.
pub(crate) async fn poll(
    inputs: &mpsc::Sender<Box<SessionInput>>,
) -> Result<Response<Body>, DropConnection> {
    let (reply, answer) = oneshot::channel();
    if inputs
        .send(Box::new(SessionInput::PollGet { reply }))
        .await
        .is_err()
    {
        return Ok(refusal(RequestError::UnknownSid));
    }
    match answer.await {
        Ok(PollAnswer::Body { body, latency }) => {
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            Ok(response::with_body(
                StatusCode::OK,
                "text/plain; charset=UTF-8",
                body,
            ))
        }
        Ok(PollAnswer::Refused(err)) => Ok(refusal(err)),
        Ok(PollAnswer::Abort) => Err(DropConnection),
        Err(_) => Ok(refusal(RequestError::UnknownSid)),
    }
}

/// Reads a `POST` body (stopping just past `max_payload` so the session sees the excess
/// without the mock buffering all of it, and giving up after `body_timeout`) and hands it to
/// the session.
pub(crate) async fn post(
    inputs: &mpsc::Sender<Box<SessionInput>>,
    request: Request<Incoming>,
    max_payload: u64,
    body_timeout: Duration,
) -> Response<Body> {
    let (reply, answer) = oneshot::channel();
    if inputs
        .send(Box::new(SessionInput::PostBegin { reply }))
        .await
        .is_err()
    {
        return refusal(RequestError::UnknownSid);
    }
    match answer.await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => return refusal(err),
        Err(_) => return refusal(RequestError::UnknownSid),
    }
    let body =
        match tokio::time::timeout(body_timeout, read_capped(request.into_body(), max_payload))
            .await
        {
            Ok(Ok(body)) => body,
            Err(_) => {
                // The session learns nothing of a body that never came: it keeps waiting for the
                // POST to end, so tell it the request is over with an empty body it refuses.
                let (reply, _) = oneshot::channel();
                let _ = inputs
                    .send(Box::new(SessionInput::PostBody {
                        body: Bytes::new(),
                        reply,
                    }))
                    .await;
                let mut answer = response::error(
                    StatusCode::REQUEST_TIMEOUT,
                    &format!("the request body did not arrive within {body_timeout:?}"),
                );
                answer.headers_mut().insert(
                    http::header::CONNECTION,
                    http::HeaderValue::from_static("close"),
                );
                return answer;
            }
            Ok(Err(err)) => {
                tracing::debug!("polling POST body failed: {err}");
                return response::error(
                    StatusCode::BAD_REQUEST,
                    "the request body could not be read",
                );
            }
        };
    let (reply, answer) = oneshot::channel();
    if inputs
        .send(Box::new(SessionInput::PostBody { body, reply }))
        .await
        .is_err()
    {
        return refusal(RequestError::UnknownSid);
    }
    match answer.await {
        Ok(Ok(())) => response::with_body(StatusCode::OK, "text/html", "ok"),
        Ok(Err(err)) => refusal(err),
        Err(_) => refusal(RequestError::UnknownSid),
    }
}

/// Collects a body up to `max + 1` bytes: enough for the session to see that it is too long.
async fn read_capped(mut body: Incoming, max: u64) -> Result<Bytes, hyper::Error> {
    let cap = usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1);
    let mut collected = BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            let room = cap - collected.len();
            collected.extend_from_slice(&data[..data.len().min(room)]);
            if collected.len() >= cap {
                break;
            }
        }
    }
    Ok(collected.freeze())
}
