//! Error responses that are not problem+json become problems: axum's extractor rejections
//! (`text/plain`), its 404/405 (empty), a handler's `(StatusCode, &str)`. The status and the
//! headers (`Allow`, `WWW-Authenticate`, `Retry-After`) are kept; the original text goes to
//! `tracing` only, the client gets the generic title.

use crate::http::problem::PROBLEM_JSON;
use crate::http::problem::Problem;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header;

/// How much of a replaced body is read for the log line.
const LOGGED_BODY: usize = 1024;

/// Whether `res` is an error whose body is not already a problem and not deliberately typed
/// JSON by the application (a `application/json` error is left alone).
pub(crate) fn needs_problem(res: &Response) -> bool {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    match res.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(ct) => {
            let essence = ct
                .to_str()
                .ok()
                .and_then(|v| v.split(';').next())
                .map(|m| m.trim().to_ascii_lowercase());
            matches!(essence.as_deref(), Some("text/plain") | Some("text/html"))
        }
    }
}

/// `res` with a problem body of the same status; its other headers are kept.
pub(crate) async fn into_problem(res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    let original = match axum::body::to_bytes(body, LOGGED_BODY).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => format!("(longer than {LOGGED_BODY} bytes)"),
    };
    if parts.status.is_server_error() {
        tracing::error!(target: "portcullis::http", status = parts.status.as_u16(), detail = %original,
            "error response replaced by a problem");
    } else {
        tracing::debug!(target: "portcullis::http", status = parts.status.as_u16(), detail = %original,
            "error response replaced by a problem");
    }
    let problem = Problem::new(parts.status).into_response();
    let (problem_parts, problem_body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static(PROBLEM_JSON),
    );
    for (name, value) in &problem_parts.headers {
        if name != header::CONTENT_TYPE {
            parts.headers.entry(name).or_insert(value.clone());
        }
    }
    Response::from_parts(parts, Body::new(problem_body))
}
