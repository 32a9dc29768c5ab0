//! The query string of `GET /docs` and its cursors, by hand, with the example's rules and
//! error messages.
//!
//! A cursor is base64url (no padding) of the JSON `[ordering, [key values]]`: `["id-",[123]]`
//! after the row with id 123 newest first, `["title+,id+",["Budget",17]]` by title. The
//! ordering names every sort key with its direction, the id last as the tie-breaker (ascending
//! unless the list is ordered by id).

use crate::{FieldError, problem, problem_with};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The largest `limit` / `per_page`.
pub(crate) const MAX_LIMIT: u32 = 100;
/// The longest cursor accepted, in characters.
const MAX_CURSOR_LEN: usize = 2048;

/// The orderings of `GET /docs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// `-id`, the default.
    NewestFirst,
    /// `id`.
    OldestFirst,
    /// `title`, then id.
    TitleAsc,
    /// `-title`, then id (ascending).
    TitleDesc,
}

impl Order {
    /// The ordering a cursor names.
    pub(crate) fn signature(self) -> &'static str {
        match self {
            Order::NewestFirst => "id-",
            Order::OldestFirst => "id+",
            Order::TitleAsc => "title+,id+",
            Order::TitleDesc => "title-,id+",
        }
    }
}

/// A cursor as sent, decoded but not yet matched with the ordering.
#[derive(Debug, PartialEq)]
pub(crate) struct RawCursor {
    order: String,
    keys: Vec<Value>,
}

/// What `GET /docs` was asked for.
#[derive(Debug, PartialEq)]
pub(crate) enum ListQuery {
    /// A keyset page: `limit` rows after `after`, with the bounded total when `total`.
    Cursor {
        limit: u32,
        order: Order,
        after: Option<RawCursor>,
        total: bool,
    },
    /// Page `page` of `per_page` rows, with the exact total.
    Offset {
        page: u32,
        per_page: u32,
        order: Order,
    },
}

/// Why the query string was refused (a 400).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BadQuery {
    /// A parameter with a bad value: its name and what it expects.
    Param(String, &'static str),
    /// A cursor that is malformed or made for another ordering.
    Cursor,
}

impl IntoResponse for BadQuery {
    fn into_response(self) -> Response {
        match self {
            BadQuery::Param(name, expected) => {
                let detail = format!("Query parameter `{name}`: expected {expected}.");
                let errors = [FieldError {
                    field: &name,
                    code: "invalid",
                    message: expected,
                }];
                problem_with(StatusCode::BAD_REQUEST, Some(&detail), &errors)
            }
            BadQuery::Cursor => problem(
                StatusCode::BAD_REQUEST,
                Some(
                    "The `after` parameter is not a valid cursor for this list; use the `next` value of a previous page.",
                ),
            ),
        }
    }
}

fn bad_param(name: &str, expected: &'static str) -> BadQuery {
    BadQuery::Param(name.to_owned(), expected)
}

/// Parses the query string (form-encoded); every malformed parameter is a 400 naming it,
/// checked in the order the parameters come.
pub(crate) fn parse(query: Option<&str>) -> Result<ListQuery, BadQuery> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let count = |v: &str| {
        v.parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
    };
    let (mut limit, mut order, mut after, mut total) = (20, Order::NewestFirst, None, false);
    let (mut page, mut per_page) = (None, None);
    for (key, value) in &pairs {
        if pairs.iter().filter(|(k, _)| k == key).count() > 1 {
            return Err(bad_param(key, "the parameter once"));
        }
        match key.as_str() {
            "limit" => {
                limit =
                    count(value).ok_or_else(|| bad_param("limit", "an integer from 1 to 100"))?
            }
            "after" => after = Some(decode_cursor(value).ok_or(BadQuery::Cursor)?),
            "order" => {
                order = match value.as_str() {
                    "-id" => Order::NewestFirst,
                    "id" => Order::OldestFirst,
                    "title" => Order::TitleAsc,
                    "-title" => Order::TitleDesc,
                    _ => return Err(bad_param("order", "one of `-id`, `id`, `title`, `-title`")),
                }
            }
            "total" => {
                total = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad_param("total", "`true` or `false`")),
                }
            }
            "page" => {
                let n = value.parse::<u32>().ok().filter(|n| *n >= 1);
                page = Some(n.ok_or_else(|| bad_param("page", "a positive integer"))?);
            }
            "per_page" => {
                let n = count(value)
                    .ok_or_else(|| bad_param("per_page", "an integer from 1 to 100"))?;
                per_page = Some(n);
            }
            _ => {}
        }
    }
    if page.is_some() || per_page.is_some() {
        if after.is_some() {
            return Err(bad_param("after", "no `page`/`per_page` beside a cursor"));
        }
        return Ok(ListQuery::Offset {
            page: page.unwrap_or(1),
            per_page: per_page.unwrap_or(20),
            order,
        });
    }
    Ok(ListQuery::Cursor {
        limit,
        order,
        after,
        total,
    })
}

/// base64url → `[ordering, [scalar, ..]]`, or `None`.
fn decode_cursor(text: &str) -> Option<RawCursor> {
    if text.is_empty() || text.len() > MAX_CURSOR_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let (order, keys): (String, Vec<Value>) = serde_json::from_slice(&bytes).ok()?;
    let scalars = keys
        .iter()
        .all(|k| k.is_number() || k.is_string() || k.is_boolean());
    (!keys.is_empty() && scalars).then_some(RawCursor { order, keys })
}

/// Where a keyset page starts: the ordering and the last row's keys (`None`: the first page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seek {
    NewestFirst(Option<i64>),
    OldestFirst(Option<i64>),
    TitleAsc(Option<(String, i64)>),
    TitleDesc(Option<(String, i64)>),
}

impl Seek {
    /// The position of `cursor` in `order`; `None` when the cursor was made for another
    /// ordering or its keys do not fit (a 400).
    pub(crate) fn new(order: Order, cursor: Option<&RawCursor>) -> Option<Self> {
        let Some(c) = cursor else {
            return Some(match order {
                Order::NewestFirst => Seek::NewestFirst(None),
                Order::OldestFirst => Seek::OldestFirst(None),
                Order::TitleAsc => Seek::TitleAsc(None),
                Order::TitleDesc => Seek::TitleDesc(None),
            });
        };
        if c.order != order.signature() {
            return None;
        }
        match (order, c.keys.as_slice()) {
            (Order::NewestFirst, [id]) => Some(Seek::NewestFirst(Some(id.as_i64()?))),
            (Order::OldestFirst, [id]) => Some(Seek::OldestFirst(Some(id.as_i64()?))),
            (Order::TitleAsc, [title, id]) => Some(Seek::TitleAsc(Some((
                title.as_str()?.to_owned(),
                id.as_i64()?,
            )))),
            (Order::TitleDesc, [title, id]) => Some(Seek::TitleDesc(Some((
                title.as_str()?.to_owned(),
                id.as_i64()?,
            )))),
            _ => None,
        }
    }

    /// The cursor after a row with `id` and `title` in this ordering.
    pub(crate) fn cursor_after(&self, id: i64, title: &str) -> String {
        let json = match self {
            Seek::NewestFirst(_) => serde_json::json!(["id-", [id]]),
            Seek::OldestFirst(_) => serde_json::json!(["id+", [id]]),
            Seek::TitleAsc(_) => serde_json::json!(["title+,id+", [title, id]]),
            Seek::TitleDesc(_) => serde_json::json!(["title-,id+", [title, id]]),
        };
        URL_SAFE_NO_PAD.encode(json.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn defaults_and_modes() {
        let q = parse(None).unwrap();
        assert_eq!(
            q,
            ListQuery::Cursor {
                limit: 20,
                order: Order::NewestFirst,
                after: None,
                total: false
            }
        );
        let q = parse(Some("per_page=50&order=title")).unwrap();
        assert_eq!(
            q,
            ListQuery::Offset {
                page: 1,
                per_page: 50,
                order: Order::TitleAsc
            }
        );
        assert!(parse(Some("limit=0")).is_err());
        assert!(parse(Some("limit=101")).is_err());
        assert!(parse(Some("limit=5&limit=5")).is_err());
        assert!(parse(Some("page=2&after=WyJpZC0iLFs1XV0")).is_err());
    }

    #[test]
    fn cursors_match_their_ordering() {
        let c = decode_cursor(&cursor(r#"["id-",[5]]"#)).unwrap();
        assert_eq!(
            Seek::new(Order::NewestFirst, Some(&c)),
            Some(Seek::NewestFirst(Some(5)))
        );
        assert_eq!(Seek::new(Order::OldestFirst, Some(&c)), None);
        let c = decode_cursor(&cursor(r#"["title+,id+",["a",5]]"#)).unwrap();
        assert_eq!(
            Seek::new(Order::TitleAsc, Some(&c)),
            Some(Seek::TitleAsc(Some(("a".into(), 5))))
        );
        for bad in [r#"["id-",[1.5]]"#, r#"["id-",["5"]]"#, r#"["id-",[5,6]]"#] {
            let c = decode_cursor(&cursor(bad)).unwrap();
            assert_eq!(Seek::new(Order::NewestFirst, Some(&c)), None, "{bad}");
        }
        for bad in [r#"["id-",[]]"#, r#"["id-",[null]]"#, "[1]", "x"] {
            assert_eq!(decode_cursor(&cursor(bad)), None, "{bad}");
        }
        assert_eq!(decode_cursor("WyJpZC0iLFs1XV0="), None);
        let seek = Seek::NewestFirst(None);
        assert_eq!(seek.cursor_after(5, "t"), cursor(r#"["id-",[5]]"#));
    }
}
