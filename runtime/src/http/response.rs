//! How the values and errors of the lower layers become responses: a [`Shaped`] value is JSON,
//! a database, page or cursor error is a [`Problem`]. These impls live in the `http` layer
//! because the layers below it know nothing of HTTP errors.

use crate::backend::db::DbError;
use crate::backend::page::{CursorError, PageError};
use crate::http::problem::Problem;
use crate::model::resource::Resource;
use crate::model::shaped::{Shape, Shaped};
use axum::response::{IntoResponse, Response};

impl<T: Shape> IntoResponse for Shaped<T> {
    fn into_response(self) -> Response {
        let mut buf = Vec::with_capacity(128 * self.row_count().max(1));
        match serde_json::to_writer(&mut buf, &self) {
            Ok(()) => (
                [(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                )],
                buf,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(target: "portcullis::scope", error = %e, entity = <T::Entity as Resource>::NAME, "shaped response failed to serialize");
                Problem::internal().into_response()
            }
        }
    }
}

impl From<DbError> for Problem {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Query(diesel::result::Error::NotFound) => Problem::not_found(),
            other => {
                tracing::error!(target: "portcullis::scope", error = %other, "database error");
                Problem::internal()
            }
        }
    }
}

/// Lets handlers use `?` on diesel results: `NotFound` is a 404, anything else a generic 500
/// whose cause is logged.
impl From<diesel::result::Error> for Problem {
    fn from(e: diesel::result::Error) -> Self {
        DbError::Query(e).into()
    }
}

impl From<CursorError> for Problem {
    fn from(e: CursorError) -> Self {
        tracing::debug!(target: "portcullis::scope", error = %e, "rejected cursor");
        Problem::bad_request().with_detail(format!(
            "The `{}` parameter is not a valid cursor for this list; use the `next` value of a previous page.",
            e.param()
        ))
    }
}

impl From<PageError> for Problem {
    fn from(e: PageError) -> Self {
        match e {
            PageError::Cursor(c) => c.into(),
            PageError::Db(d) => d.into(),
            other @ PageError::UnsupportedField(_) => {
                tracing::error!(target: "portcullis::scope", error = %other, "cursor page");
                Problem::internal()
            }
        }
    }
}
