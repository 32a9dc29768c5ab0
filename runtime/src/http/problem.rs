//! RFC 9457 problem details: the one error type every portcullis rejection becomes.
//!
//! Client-facing text is generic on purpose (a client must not learn whether an account exists
//! or why exactly a token failed); the precise cause goes to `tracing` where the problem is made.
//!
//! ```
//! use portcullis::Problem;
//!
//! let p = Problem::not_found().with_detail("No such document.");
//! assert_eq!(
//!     String::from_utf8(p.body()).unwrap(),
//!     r#"{"type":"about:blank","title":"Not Found","status":404,"detail":"No such document."}"#
//! );
//! ```

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use serde::Serialize;
use std::borrow::Cow;

/// The media type of every problem body.
///
/// # Examples
///
/// ```
/// use axum::response::IntoResponse;
/// use portcullis::problem::PROBLEM_JSON;
///
/// let response = portcullis::Problem::forbidden().into_response();
/// assert_eq!(response.headers()["content-type"], PROBLEM_JSON);
/// ```
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field-level error of a 422 (or a 403 naming a field that may not be written).
///
/// # Examples
///
/// ```
/// use portcullis::FieldError;
///
/// let e = FieldError::new("title", "too_long", "At most 200 characters.");
/// assert_eq!(
///     serde_json::to_string(&e).unwrap(),
///     r#"{"field":"title","code":"too_long","message":"At most 200 characters."}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the client wrote it (JSON pointer-free; nested fields are not used here).
    pub field: Cow<'static, str>,
    /// A stable, machine-readable code (`unknown_field`, `not_permitted`, `too_short`, …).
    pub code: Cow<'static, str>,
    /// A short sentence a user interface may show.
    pub message: Cow<'static, str>,
}

impl FieldError {
    /// A field error with a code and a message.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = portcullis::FieldError::new("email", "invalid", format!("Not an address."));
    /// assert_eq!(e.code, "invalid");
    /// ```
    pub fn new(
        field: impl Into<Cow<'static, str>>,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem: status, generic title, optional detail, extension members and the
/// headers the status needs (`WWW-Authenticate` on 401, `Retry-After` on 429).
///
/// The body is boxed: handlers return `Result<_, Problem>` everywhere and the happy path should
/// not pay for moving a large error value around.
///
/// # Examples
///
/// ```
/// use axum::response::IntoResponse;
/// use portcullis::{FieldError, Problem};
///
/// let p = Problem::unprocessable(vec![FieldError::new("title", "missing", "This field is required.")]);
/// assert_eq!(p.to_string(), "422 Unprocessable Entity");
/// let response = p.into_response();
/// assert_eq!(response.status(), 422);
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// ```
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemInner>);

#[derive(Debug, Clone)]
struct ProblemInner {
    status: StatusCode,
    type_uri: Cow<'static, str>,
    title: Cow<'static, str>,
    detail: Option<Cow<'static, str>>,
    errors: Vec<FieldError>,
    headers: HeaderMap,
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    type_uri: &'a str,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

impl Problem {
    /// A problem with the status's canonical reason as its title and `about:blank` as its type,
    /// as RFC 9457 §4.2.1 recommends when no more specific type is defined.
    ///
    /// # Examples
    ///
    /// ```
    /// use http::StatusCode;
    ///
    /// let p = portcullis::Problem::new(StatusCode::GONE);
    /// assert_eq!((p.status(), p.title()), (StatusCode::GONE, "Gone"));
    /// ```
    pub fn new(status: StatusCode) -> Self {
        Self(Box::new(ProblemInner {
            status,
            type_uri: Cow::Borrowed("about:blank"),
            title: Cow::Borrowed(status.canonical_reason().unwrap_or("Error")),
            detail: None,
            errors: Vec::new(),
            headers: HeaderMap::new(),
        }))
    }

    /// 400: the request could not be read (malformed JSON, bad header, bad id).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(portcullis::Problem::bad_request().status(), http::StatusCode::BAD_REQUEST);
    /// ```
    pub fn bad_request() -> Self {
        Self::new(StatusCode::BAD_REQUEST)
    }

    /// 401 with a plain `WWW-Authenticate: Bearer` challenge (no credentials were sent).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = portcullis::Problem::unauthorized();
    /// assert_eq!(p.status(), http::StatusCode::UNAUTHORIZED);
    /// assert_eq!(p.headers()["www-authenticate"], "Bearer");
    /// ```
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED).with_header(header::WWW_AUTHENTICATE, "Bearer")
    }

    /// 401 for credentials that were sent but did not authenticate (RFC 6750 §3.1).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = portcullis::Problem::invalid_token();
    /// assert_eq!(p.headers()["www-authenticate"], r#"Bearer error="invalid_token""#);
    /// ```
    pub fn invalid_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED)
            .with_header(header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)
    }

    /// 403: authenticated but not allowed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(portcullis::Problem::forbidden().title(), "Forbidden");
    /// ```
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN)
    }

    /// 404: no such resource (also used for resources concealed from the subject).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(portcullis::Problem::not_found().status(), http::StatusCode::NOT_FOUND);
    /// ```
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND)
    }

    /// 409: the write conflicts with the current state.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(portcullis::Problem::conflict().to_string(), "409 Conflict");
    /// ```
    pub fn conflict() -> Self {
        Self::new(StatusCode::CONFLICT)
    }

    /// 422 with field-level errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::{FieldError, Problem};
    ///
    /// let p = Problem::unprocessable(vec![FieldError::new("titel", "unknown_field", "No such field.")]);
    /// assert_eq!(p.errors()[0].field, "titel");
    /// ```
    pub fn unprocessable(errors: Vec<FieldError>) -> Self {
        let mut p = Self::new(StatusCode::UNPROCESSABLE_ENTITY);
        p.0.errors = errors;
        p
    }

    /// 429 with `Retry-After` in whole seconds (rounded up, at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = portcullis::Problem::too_many_requests(30);
    /// assert_eq!(p.status(), http::StatusCode::TOO_MANY_REQUESTS);
    /// assert_eq!(p.headers()["retry-after"], "30");
    /// ```
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS)
            .with_header(header::RETRY_AFTER, retry_after_secs.max(1).to_string())
    }

    /// 503 with `Retry-After` in whole seconds (at least 1): a dependency the request needs
    /// (a store, the rate limiter's Redis) is down or too slow, and the request was refused
    /// rather than let through. The cause is logged where the problem is made, never sent.
    ///
    /// ```
    /// let p = portcullis::Problem::service_unavailable(1);
    /// assert_eq!(p.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    /// assert_eq!(p.headers()["retry-after"], "1");
    /// ```
    pub fn service_unavailable(retry_after_secs: u64) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE)
            .with_header(header::RETRY_AFTER, retry_after_secs.max(1).to_string())
    }

    /// 500: the cause is logged where the problem is made, never sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = portcullis::Problem::internal();
    /// assert_eq!(p.to_string(), "500 Internal Server Error");
    /// assert_eq!(p.detail(), None);
    /// ```
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Replaces the `detail` member. Keep it generic: it reaches the client.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = portcullis::Problem::conflict().with_detail("The document changed meanwhile.");
    /// assert_eq!(p.detail(), Some("The document changed meanwhile."));
    /// assert_eq!(p.to_string(), "409 Conflict: The document changed meanwhile.");
    /// ```
    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// Replaces the `title` member.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = portcullis::Problem::forbidden().with_title("Read only");
    /// assert_eq!(p.title(), "Read only");
    /// ```
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.0.title = title.into();
        self
    }

    /// Replaces the `type` member (a URI identifying the problem type).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = portcullis::Problem::forbidden().with_type("https://example.com/problems/quota");
    /// let body = String::from_utf8(p.body()).unwrap();
    /// assert!(body.starts_with(r#"{"type":"https://example.com/problems/quota","#));
    /// ```
    pub fn with_type(mut self, type_uri: impl Into<Cow<'static, str>>) -> Self {
        self.0.type_uri = type_uri.into();
        self
    }

    /// Adds a field-level error.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::{FieldError, Problem};
    ///
    /// let p = Problem::forbidden().with_error(FieldError::new("owner_id", "not_permitted", "No."));
    /// assert_eq!(p.errors().len(), 1);
    /// ```
    pub fn with_error(mut self, error: FieldError) -> Self {
        self.0.errors.push(error);
        self
    }

    /// Sets a response header. A value that is not a valid header value is dropped with a log
    /// line rather than panicking: problems are built on error paths.
    ///
    /// # Examples
    ///
    /// ```
    /// use http::header::CACHE_CONTROL;
    ///
    /// let p = portcullis::Problem::not_found().with_header(CACHE_CONTROL, "max-age=60");
    /// assert_eq!(p.headers()[CACHE_CONTROL], "max-age=60");
    /// let dropped = portcullis::Problem::not_found().with_header(CACHE_CONTROL, "a\nb");
    /// assert!(dropped.headers().get(CACHE_CONTROL).is_none());
    /// ```
    pub fn with_header(mut self, name: HeaderName, value: impl AsRef<str>) -> Self {
        match HeaderValue::from_str(value.as_ref()) {
            Ok(v) => {
                self.0.headers.insert(name, v);
            }
            Err(_) => {
                tracing::error!(target: "portcullis", header = %name, "invalid problem header value dropped")
            }
        }
        self
    }

    /// The HTTP status.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(portcullis::Problem::conflict().status().as_u16(), 409);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The `title` member.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(portcullis::Problem::bad_request().title(), "Bad Request");
    /// ```
    pub fn title(&self) -> &str {
        &self.0.title
    }

    /// The `detail` member.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(portcullis::Problem::bad_request().detail(), None);
    /// ```
    pub fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// The field-level errors.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(portcullis::Problem::forbidden().errors().is_empty());
    /// ```
    pub fn errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    /// The headers the response will carry besides `Content-Type`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(portcullis::Problem::forbidden().headers().is_empty());
    /// assert!(portcullis::Problem::unauthorized().headers().contains_key("www-authenticate"));
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The JSON body as it is sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let body = portcullis::Problem::forbidden().body();
    /// assert_eq!(body, br#"{"type":"about:blank","title":"Forbidden","status":403}"#);
    /// ```
    pub fn body(&self) -> Vec<u8> {
        let body = ProblemBody {
            type_uri: &self.0.type_uri,
            title: &self.0.title,
            status: self.0.status.as_u16(),
            detail: self.0.detail.as_deref(),
            errors: &self.0.errors,
        };
        // Serializing plain strings and integers into a Vec cannot fail.
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.status.as_u16(), self.0.title)?;
        if let Some(d) = &self.0.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut res = (self.0.status, body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        res.headers_mut().extend(self.0.headers);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthorized_body_and_headers_are_exact() {
        let res = Problem::invalid_token().into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(res.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(
            res.headers()[header::WWW_AUTHENTICATE],
            r#"Bearer error="invalid_token""#
        );
        assert_eq!(
            String::from_utf8(Problem::invalid_token().body()).unwrap(),
            r#"{"type":"about:blank","title":"Unauthorized","status":401}"#
        );
    }

    #[test]
    fn unprocessable_lists_field_errors() {
        let p = Problem::unprocessable(vec![FieldError::new(
            "titel",
            "unknown_field",
            "unknown field",
        )]);
        assert_eq!(
            String::from_utf8(p.body()).unwrap(),
            r#"{"type":"about:blank","title":"Unprocessable Entity","status":422,"errors":[{"field":"titel","code":"unknown_field","message":"unknown field"}]}"#
        );
    }

    #[test]
    fn too_many_requests_rounds_retry_after_up_to_one() {
        let p = Problem::too_many_requests(0);
        assert_eq!(p.headers()[header::RETRY_AFTER], "1");
    }
}
