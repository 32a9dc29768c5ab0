//! The two document reads. The tenant rule is a plain `WHERE tenant_id = ?` (or, with
//! `Config::policy_where`, the form the example's policy compiles to); the visibility rule
//! (archived documents are listed without their body) is applied while building the response.

use crate::auth::Caller;
use crate::{AppState, internal, problem};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper,
};
use diesel_async::RunQueryDsl;
use serde::Serialize;

diesel::table! {
    documents (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        owner_id -> BigInt,
        title -> Text,
        body -> Text,
        archived -> Bool,
        internal_notes -> Nullable<Text>,
    }
}

/// The columns a response may carry (`internal_notes` is never read).
#[derive(diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = documents)]
struct Row {
    id: i64,
    tenant_id: i64,
    owner_id: i64,
    title: String,
    body: String,
    archived: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocOut {
    id: i64,
    tenant_id: i64,
    owner_id: i64,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    archived: bool,
}

impl From<Row> for DocOut {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            owner_id: r.owner_id,
            title: r.title,
            body: (!r.archived).then_some(r.body),
            archived: r.archived,
        }
    }
}

#[derive(Serialize)]
struct PageOut {
    items: Vec<DocOut>,
    total: i64,
    page: i64,
    per_page: i64,
    pages: i64,
}

/// `page` and `per_page` from the query string: defaults 1 and 20, `per_page` capped at 100;
/// `None` when either is present but not a positive integer.
fn page_params(query: Option<&str>) -> Option<(i64, i64)> {
    let mut page = 1;
    let mut per_page = 20;
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "page" => &mut page,
            "per_page" => &mut per_page,
            _ => continue,
        };
        *slot = value.parse::<u32>().ok().filter(|n| *n > 0)?.into();
    }
    Some((page, per_page.min(100)))
}

/// The total and one page (newest first) of the documents matching `$filter`.
macro_rules! count_and_page {
    ($conn:expr, $filter:expr, $per_page:expr, $offset:expr) => {
        async {
            let total: i64 = documents::table
                .filter($filter)
                .count()
                .get_result($conn)
                .await?;
            let rows: Vec<Row> = documents::table
                .filter($filter)
                .order(documents::id.desc())
                .limit($per_page)
                .offset($offset)
                .select(Row::as_select())
                .load($conn)
                .await?;
            Ok::<_, diesel::result::Error>((total, rows))
        }
        .await
    };
}

/// `GET /docs`: the caller's tenant's documents, newest first, one page with the total.
pub(crate) async fn list(
    caller: Caller,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(refused) = crate::auth::throttled(&state, &caller) {
        return refused;
    }
    let Some((page, per_page)) = page_params(query.as_deref()) else {
        return problem(
            StatusCode::BAD_REQUEST,
            Some("page and per_page must be positive integers."),
        );
    };
    let Ok(mut conn) = state.pool.get().await else {
        return internal();
    };
    let offset = (page - 1) * per_page;
    let t = caller.tenant_id;
    let found = if state.policy_where {
        let policy = documents::tenant_id
            .eq(t)
            .and(diesel::dsl::not(documents::archived.eq(true)))
            .or(documents::tenant_id.eq(t).and(documents::archived.eq(true)));
        count_and_page!(&mut conn, policy, per_page, offset)
    } else {
        count_and_page!(&mut conn, documents::tenant_id.eq(t), per_page, offset)
    };
    let Ok((total, rows)) = found else {
        return internal();
    };
    drop(conn);
    Json(PageOut {
        items: rows.into_iter().map(DocOut::from).collect(),
        total,
        page,
        per_page,
        pages: ((total + per_page - 1) / per_page).max(1),
    })
    .into_response()
}

/// `GET /docs/{id}`: 404 when no such document, 403 when it is another tenant's.
pub(crate) async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return problem(
            StatusCode::BAD_REQUEST,
            Some("The resource id is malformed."),
        );
    };
    let Ok(mut conn) = state.pool.get().await else {
        return internal();
    };
    let found = documents::table
        .find(id)
        .select(Row::as_select())
        .first(&mut conn)
        .await
        .optional();
    match found {
        Err(_) => internal(),
        Ok(None) => problem(StatusCode::NOT_FOUND, None),
        Ok(Some(row)) if row.tenant_id != caller.tenant_id => problem(StatusCode::FORBIDDEN, None),
        Ok(Some(row)) => Json(DocOut::from(row)).into_response(),
    }
}
