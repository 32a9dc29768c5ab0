//! Fetching the provider's discovery document and key set: one GET each, over a client that
//! never follows redirects, with a timeout and a cap on the body read.

use http::StatusCode;
use serde::Deserialize;

use crate::http::problem::Problem;

/// The discovery document's fields this client reads (OpenID Connect Discovery 1.0 §3,
/// RFC 9207 §3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Metadata {
    pub(crate) issuer: String,
    pub(crate) authorization_endpoint: String,
    pub(crate) token_endpoint: String,
    pub(crate) jwks_uri: String,
    #[serde(default)]
    pub(crate) authorization_response_iss_parameter_supported: bool,
}

/// The key set document: each key kept as JSON, so one key of a type we do not read does not
/// make the whole set unreadable.
#[derive(Debug, Deserialize)]
pub(crate) struct KeySet {
    pub(crate) keys: Vec<serde_json::Value>,
}

/// Why a provider document could not be had. The cause is logged; the client sees only the
/// status: 503 (with `Retry-After`) when the provider cannot be reached, 502 when it answered
/// with something unusable.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// Connection refused, timed out, DNS: the provider is down or unreachable.
    Unreachable(String),
    /// An answer we cannot use: a non-200 status (redirects included), too large, not JSON,
    /// missing fields, a mismatched issuer.
    Invalid(String),
}

impl FetchError {
    pub(crate) fn into_problem(self, provider: &str, what: &'static str) -> Problem {
        match self {
            FetchError::Unreachable(cause) => {
                super::warn(
                    provider,
                    "provider_unreachable",
                    &format!("{what}: {cause}"),
                );
                Problem::service_unavailable(5)
                    .with_detail("The identity provider cannot be reached; try again shortly.")
            }
            FetchError::Invalid(cause) => {
                super::warn(
                    provider,
                    "provider_document_invalid",
                    &format!("{what}: {cause}"),
                );
                Problem::new(StatusCode::BAD_GATEWAY)
                    .with_detail("The identity provider's answer could not be used.")
            }
        }
    }
}

fn classify(e: &reqwest::Error) -> FetchError {
    if e.is_connect() || e.is_timeout() || e.is_request() {
        FetchError::Unreachable(e.to_string())
    } else {
        FetchError::Invalid(e.to_string())
    }
}

/// GETs `url` and parses its JSON body, reading at most `max` bytes.
pub(crate) async fn fetch_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &url::Url,
    max: usize,
) -> Result<T, FetchError> {
    let mut res = http
        .get(url.clone())
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| classify(&e))?;
    if res.status() != reqwest::StatusCode::OK {
        // A redirect is not followed (the client has no redirect policy) and lands here.
        return Err(FetchError::Invalid(format!(
            "{url}: status {}",
            res.status()
        )));
    }
    if res.content_length().is_some_and(|n| n > max as u64) {
        return Err(FetchError::Invalid(format!(
            "{url}: larger than {max} bytes"
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| classify(&e))? {
        if body.len() + chunk.len() > max {
            return Err(FetchError::Invalid(format!(
                "{url}: larger than {max} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| FetchError::Invalid(format!("{url}: {e}")))
}

/// `<issuer>/.well-known/openid-configuration` (Discovery §4: the issuer's path is kept, a
/// trailing slash is not doubled).
pub(crate) fn discovery_url(issuer: &url::Url) -> Result<url::Url, String> {
    let base = issuer.as_str().trim_end_matches('/');
    url::Url::parse(&format!("{base}/.well-known/openid-configuration")).map_err(|e| e.to_string())
}
