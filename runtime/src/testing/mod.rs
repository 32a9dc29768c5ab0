//! Test helpers for applications: drive every non-public route without credentials
//! ([`check_anonymous_rejected`]), and check that every scoped list can be served by an index
//! ([`IndexCheck`]), and state a policy as a table of expected verdicts ([`PolicyTable`],
//! [`policy_table!`](crate::policy_table)).

mod index;
mod plan;
mod policy_table;

pub use index::{
    DEFAULT_LIMIT, ExplainOnPostgres, ExplainOnSqlite, Explainable, IndexCheck, IndexFailure,
    IndexReport, ListOrder, ListRows,
};
pub use plan::PlanIssue;
pub use policy_table::{PolicyTable, RowId, SubjectId, Verdict};

use crate::guard::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use tower::ServiceExt;

/// Sends every non-public route of `router` a request without credentials and one with a
/// garbage bearer token (path parameters filled with `1`); returns the routes that did not
/// answer 401, as `"METHOD /path (no credentials): 200"` lines.
pub async fn check_anonymous_rejected(router: &Router<()>) -> Result<(), Vec<String>> {
    let app = match router.clone().build() {
        Ok(app) => app,
        Err(e) => return Err(vec![format!("the router does not build: {e}")]),
    };
    let mut failures = Vec::new();
    for route in router.posture().routes {
        if route.guard.public || route.method == "*" {
            continue;
        }
        let path: String = route
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for (label, auth) in [
            ("no credentials", None),
            ("garbage bearer token", Some("Bearer garbage")),
        ] {
            let mut req = Request::builder().method(route.method.as_str()).uri(&path);
            if let Some(auth) = auth {
                req = req.header(http::header::AUTHORIZATION, auth);
            }
            let req = match req.body(Body::empty()) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!(
                        "{} {} ({label}): cannot build request: {e}",
                        route.method, route.path
                    ));
                    continue;
                }
            };
            let status = match app.clone().oneshot(req).await {
                Ok(res) => res.status(),
                Err(never) => match never {},
            };
            if status != StatusCode::UNAUTHORIZED {
                failures.push(format!(
                    "{} {} ({label}): {}",
                    route.method,
                    route.path,
                    status.as_u16()
                ));
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

/// Panics listing every non-public route that does not answer 401 to anonymous requests
/// (see [`check_anonymous_rejected`]).
pub async fn assert_anonymous_rejected(router: &Router<()>) {
    if let Err(failures) = check_anonymous_rejected(router).await {
        panic!(
            "routes that did not reject anonymous requests with 401:\n  {}",
            failures.join("\n  ")
        );
    }
}
