//! The two document reads. The tenant rule is a plain `WHERE tenant_id = ?`; the visibility
//! rule (archived documents are listed without their body) is applied while building the
//! response.
//!
//! `GET /docs` answers a keyset page by default: `WHERE tenant_id = ? AND id < ? ORDER BY id
//! DESC LIMIT n + 1` (the extra row tells whether there is a next page), and counts only when
//! asked (`?total=true`, at most 10,000 rows). `?page=&per_page=` is the offset page with the
//! exact total.

use crate::auth::Caller;
use crate::params::{self, ListQuery, Order};
use crate::{AppState, DbFail, Pool, internal, problem, with_conn};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper,
};
use diesel_async::RunQueryDsl;
use serde::Serialize;

pub use crate::params::Seek;

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

/// The largest total a keyset page counts to (`"exact": false` beyond).
const TOTAL_CAP: i64 = 10_000;

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

/// Who is looking at a page: the example's rules for its per-row capabilities need the caller's
/// id and role besides the tenant the query filters on.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub id: i64,
    pub tenant_id: i64,
    pub admin: bool,
}

impl From<&Caller> for Viewer {
    fn from(c: &Caller) -> Self {
        Self {
            id: c.id,
            tenant_id: c.tenant_id,
            admin: c.admin,
        }
    }
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
    #[serde(rename = "_can")]
    can: CanOut,
}

/// The example's `"_can"`: its owner or a tenant admin may update and archive a document that
/// is not archived, and delete it either way.
#[derive(Serialize)]
struct CanOut {
    update: bool,
    archive: bool,
    delete: bool,
}

impl DocOut {
    /// A row of `viewer`'s tenant as `viewer` sees it.
    fn new(r: Row, viewer: &Viewer) -> Self {
        let own_or_admin = r.owner_id == viewer.id || viewer.admin;
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            owner_id: r.owner_id,
            title: r.title,
            body: (!r.archived).then_some(r.body),
            archived: r.archived,
            can: CanOut {
                update: own_or_admin && !r.archived,
                archive: own_or_admin && !r.archived,
                delete: own_or_admin,
            },
        }
    }
}

#[derive(Serialize)]
struct TotalOut {
    count: i64,
    exact: bool,
}

/// A keyset page as JSON: `{"items": [..], "next": "<cursor>" | null}`, plus `"total"` when
/// asked.
#[derive(Serialize)]
pub struct CursorPageOut {
    items: Vec<DocOut>,
    next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<TotalOut>,
}

#[derive(Serialize)]
struct OffsetPageOut {
    items: Vec<DocOut>,
    total: i64,
    page: i64,
    per_page: i64,
    pages: i64,
}

#[derive(diesel::QueryableByName)]
struct Counted {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `GET /docs`: the caller's tenant's documents, a keyset page or an offset page.
pub(crate) async fn list(
    caller: Caller,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(refused) = crate::auth::throttled(&state, &caller) {
        return refused;
    }
    let query = match params::parse(query.as_deref()) {
        Ok(q) => q,
        Err(bad) => return bad.into_response(),
    };
    let viewer = Viewer::from(&caller);
    match query {
        ListQuery::Offset {
            page,
            per_page,
            order,
        } => match offset_page(&state.pool, &viewer, order, page, per_page).await {
            Ok(page) => Json(page).into_response(),
            Err(DbFail) => internal(),
        },
        ListQuery::Cursor {
            limit,
            order,
            after,
            total,
        } => {
            let Some(seek) = Seek::new(order, after.as_ref()) else {
                return params::BadQuery::Cursor.into_response();
            };
            match cursor_page(&state.pool, &viewer, &seek, limit, total).await {
                Ok(page) => Json(page).into_response(),
                Err(DbFail) => internal(),
            }
        }
    }
}

/// One keyset page of `viewer`'s tenant's documents: `limit` rows from `seek`, the next
/// cursor, and the total (up to 10,000) when `with_total`.
pub async fn cursor_page(
    pool: &Pool,
    viewer: &Viewer,
    seek: &Seek,
    limit: u32,
    with_total: bool,
) -> Result<CursorPageOut, DbFail> {
    use self::documents::dsl::{documents, id, tenant_id, title};
    let t = viewer.tenant_id;
    let n = i64::from(limit.clamp(1, params::MAX_LIMIT));
    let (counted, mut rows) = with_conn!(pool, |conn| {
        let counted = if with_total {
            let sql = match pool {
                Pool::Sqlite(_) => {
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM documents WHERE tenant_id = ? LIMIT ?) t"
                }
                Pool::Postgres(_) => {
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM documents WHERE tenant_id = $1 LIMIT $2) t"
                }
            };
            let c: Counted = diesel::sql_query(sql)
                .bind::<diesel::sql_types::BigInt, _>(t)
                .bind::<diesel::sql_types::BigInt, _>(TOTAL_CAP + 1)
                .get_result(&mut conn)
                .await?;
            Some(c.n)
        } else {
            None
        };
        let q = documents
            .filter(tenant_id.eq(t))
            .select(Row::as_select())
            .limit(n + 1)
            .into_boxed();
        let q = match seek {
            Seek::NewestFirst(None) => q.order(id.desc()),
            Seek::NewestFirst(Some(after)) => q.filter(id.lt(after)).order(id.desc()),
            Seek::OldestFirst(None) => q.order(id.asc()),
            Seek::OldestFirst(Some(after)) => q.filter(id.gt(after)).order(id.asc()),
            Seek::TitleAsc(None) => q.order((title.asc(), id.asc())),
            Seek::TitleAsc(Some((after, i))) => q
                .filter(title.gt(after).or(title.eq(after).and(id.gt(i))))
                .order((title.asc(), id.asc())),
            Seek::TitleDesc(None) => q.order((title.desc(), id.asc())),
            Seek::TitleDesc(Some((after, i))) => q
                .filter(title.lt(after).or(title.eq(after).and(id.gt(i))))
                .order((title.desc(), id.asc())),
        };
        let rows: Vec<Row> = q.load(&mut conn).await?;
        (counted, rows)
    });
    let next = if rows.len() as i64 > n {
        rows.truncate(n as usize);
        rows.last().map(|r| seek.cursor_after(r.id, &r.title))
    } else {
        None
    };
    Ok(CursorPageOut {
        items: rows.into_iter().map(|r| DocOut::new(r, viewer)).collect(),
        next,
        total: counted.map(|c| TotalOut {
            count: c.min(TOTAL_CAP),
            exact: c <= TOTAL_CAP,
        }),
    })
}

/// Page `page` of `per_page` of `viewer`'s tenant's documents, with the total.
async fn offset_page(
    pool: &Pool,
    viewer: &Viewer,
    order: Order,
    page: u32,
    per_page: u32,
) -> Result<OffsetPageOut, DbFail> {
    use self::documents::dsl::{documents, id, tenant_id, title};
    let t = viewer.tenant_id;
    let (page, per_page) = (i64::from(page), i64::from(per_page));
    let (total, rows) = with_conn!(pool, |conn| {
        let total: i64 = documents
            .filter(tenant_id.eq(t))
            .count()
            .get_result(&mut conn)
            .await?;
        let q = documents
            .filter(tenant_id.eq(t))
            .select(Row::as_select())
            .limit(per_page)
            .offset((page - 1) * per_page)
            .into_boxed();
        let q = match order {
            Order::NewestFirst => q.order(id.desc()),
            Order::OldestFirst => q.order(id.asc()),
            Order::TitleAsc => q.order((title.asc(), id.asc())),
            Order::TitleDesc => q.order((title.desc(), id.asc())),
        };
        let rows: Vec<Row> = q.load(&mut conn).await?;
        (total, rows)
    });
    Ok(OffsetPageOut {
        items: rows.into_iter().map(|r| DocOut::new(r, viewer)).collect(),
        total,
        page,
        per_page,
        pages: ((total + per_page - 1) / per_page).max(1),
    })
}

/// `GET /docs/{id}`: 404 when no such document, 403 when it is another tenant's.
pub(crate) async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path(doc): Path<String>,
) -> Response {
    let Ok(doc) = doc.parse::<i64>() else {
        return problem(
            StatusCode::BAD_REQUEST,
            Some("The resource id is malformed."),
        );
    };
    let found: Result<Option<Row>, DbFail> = async {
        Ok(with_conn!(&state.pool, |conn| documents::table
            .find(doc)
            .select(Row::as_select())
            .first(&mut conn)
            .await
            .optional()?))
    }
    .await;
    match found {
        Err(DbFail) => internal(),
        Ok(None) => problem(StatusCode::NOT_FOUND, None),
        Ok(Some(row)) if row.tenant_id != caller.tenant_id => problem(StatusCode::FORBIDDEN, None),
        Ok(Some(row)) => Json(DocOut::new(row, &Viewer::from(&caller))).into_response(),
    }
}
