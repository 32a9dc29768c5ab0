//! Keyset (cursor) pagination over a scoped query: pages that cost the same at row 10 and at
//! row 10,000, and an opt-in, bounded total.
//!
//! A [`Cursor`] holds the sort-key values of the last row of a page (the ordering fields, then
//! the primary key as a tie-breaker) and names the ordering it belongs to. The next page is
//! `WHERE scope AND (key after cursor) ORDER BY .. LIMIT n`, which an index on the ordering
//! serves without reading the skipped rows. A cursor is opaque to clients but not secret: it
//! is only ever ANDed with the scope, so a tampered cursor can move within the caller's own
//! rows, never outside them; a malformed one is a 400 naming the parameter.
//!
//! ```no_run
//! # use portcullis::{Resource, policy, Read};
//! # diesel::table! { documents (id) { id -> BigInt, tenant_id -> BigInt, title -> Text } }
//! # #[derive(Resource, diesel::Queryable, diesel::Selectable)]
//! # #[diesel(table_name = documents)]
//! # pub struct Document { #[expose] pub id: i64, pub tenant_id: i64, #[expose] pub title: String }
//! # pub struct User { tenant_id: i64 }
//! # #[policy(Document, subject = User)]
//! # fn documents(user: &User) { allow!(read where tenant_id == user.tenant_id); }
//! use portcullis::page::Cursor;
//!
//! # async fn run(pool: portcullis::db::Pool, user: User, after: Option<&str>) -> Result<(), portcullis::Problem> {
//! let scope = documents(&user).scope::<Read>();
//! // `?after=..` from the client: a malformed cursor is a 400 naming the parameter.
//! let after = after.map(|s| Cursor::parse("after", s)).transpose()?;
//! let page = scope
//!     .query()
//!     .order_by(|f| f.id.desc())
//!     .with_total() // opt-in: counts at most `DEFAULT_TOTAL_CAP` rows
//!     .page_after(after.as_ref(), 50, &pool)
//!     .await?;
//! let next: Option<String> = page.next.as_ref().map(|c| c.to_string());
//! let body = serde_json::to_string(&scope.shape(page)).unwrap(); // {"items":[..],"next":..,"total":..}
//! # let _ = (next, body); Ok(()) }
//! ```

use crate::backend::db::DbError;
use crate::model::resource::Resource;
use crate::model::shaped::{RowMasks, Rows, Shape};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::Value;
use std::marker::PhantomData;

/// The largest page [`Query::page_after`](crate::scope::Query::page_after) returns; larger
/// limits are clamped.
///
/// # Examples
///
/// ```
/// assert_eq!(portcullis::page::MAX_PAGE_SIZE, 1000);
/// ```
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The default bound of [`Query::with_total`](crate::policy::scope::Query::with_total): counting
/// stops here and the total is reported as a lower bound.
///
/// # Examples
///
/// ```
/// assert_eq!(portcullis::page::DEFAULT_TOTAL_CAP, 10_000);
/// ```
pub const DEFAULT_TOTAL_CAP: u32 = 10_000;

/// The longest cursor accepted, in characters.
const MAX_CURSOR_LEN: usize = 2048;

/// A position in an ordered scoped list: the sort-key values of the last row returned.
///
/// Its `Display` (and `Serialize`) form is the opaque text a client gets as `next` and sends
/// back; [`Cursor::parse`] reads it.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::Read;
/// use portcullis::page::Cursor;
///
/// # block_on(async {
/// # let pool = pool().await;
/// let query = documents(&alice()).scope::<Read>().query().order_by(|f| f.id.asc());
/// let next: Cursor = query.page_after(None, 1, &pool).await?.next.unwrap();
/// let text = next.to_string();
/// assert_eq!(Cursor::parse("after", &text)?, next);
/// # Ok::<(), portcullis::page::PageError>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    order: String,
    keys: Vec<Value>,
}

impl Cursor {
    /// Decodes a cursor a client sent in parameter `param` (named in the 400 on failure).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::Problem;
    /// use portcullis::page::Cursor;
    ///
    /// let err = Cursor::parse("after", "not a cursor").unwrap_err();
    /// assert_eq!(err.to_string(), "invalid cursor in `after`: not base64url");
    /// let problem = Problem::from(err);
    /// assert_eq!(problem.status(), http::StatusCode::BAD_REQUEST);
    /// ```
    pub fn parse(param: &'static str, text: &str) -> Result<Self, CursorError> {
        let bad = |why: &'static str| CursorError { param, why };
        if text.is_empty() || text.len() > MAX_CURSOR_LEN {
            return Err(bad("empty or too long"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| bad("not base64url"))?;
        let (order, keys): (String, Vec<Value>) =
            serde_json::from_slice(&bytes).map_err(|_| bad("not a cursor"))?;
        if keys.is_empty()
            || keys
                .iter()
                .any(|k| !(k.is_number() || k.is_string() || k.is_boolean()))
        {
            return Err(bad("not a cursor"));
        }
        Ok(Self { order, keys })
    }

    pub(crate) fn new(order: String, keys: Vec<Value>) -> Self {
        Self { order, keys }
    }

    pub(crate) fn order(&self) -> &str {
        &self.order
    }

    pub(crate) fn keys(&self) -> &[Value] {
        &self.keys
    }
}

/// The opaque form sent to clients (base64url, no padding).
impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let json = serde_json::to_vec(&(&self.order, &self.keys)).map_err(|_| std::fmt::Error)?;
        f.write_str(&URL_SAFE_NO_PAD.encode(json))
    }
}

impl serde::Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A cursor that could not be decoded, or that belongs to another ordering: a 400.
///
/// # Examples
///
/// ```
/// use portcullis::page::{Cursor, CursorError};
///
/// let err: CursorError = Cursor::parse("after", "").unwrap_err();
/// assert_eq!(err.to_string(), "invalid cursor in `after`: empty or too long");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor in `{param}`: {why}")]
pub struct CursorError {
    param: &'static str,
    why: &'static str,
}

impl CursorError {
    /// The parameter the cursor came in.
    pub(crate) fn param(&self) -> &'static str {
        self.param
    }

    pub(crate) fn mismatch(param: &'static str) -> Self {
        Self {
            param,
            why: "it belongs to another ordering or list",
        }
    }
}

/// Why a page could not be produced. Converts into the [`Problem`](crate::http::problem::Problem) to answer: 400 for a
/// cursor, 500 (logged) otherwise.
///
/// # Examples
///
/// ```
/// use portcullis::Problem;
/// use portcullis::page::{Cursor, PageError};
///
/// let err = PageError::from(Cursor::parse("after", "!!").unwrap_err());
/// assert!(matches!(err, PageError::Cursor(_)));
/// assert_eq!(Problem::from(err).status(), http::StatusCode::BAD_REQUEST);
/// ```
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The client's cursor is malformed or from another ordering (400).
    #[error(transparent)]
    Cursor(#[from] CursorError),
    /// An ordering field cannot key a cursor: nullable, or of a type without
    /// [`CursorField`] (a programming error: 500, logged).
    #[error(
        "field `{0}` cannot order a cursor page (nullable, or its type has no `CursorField` impl)"
    )]
    UnsupportedField(&'static str),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// How many rows a scoped list holds, counted up to a bound (see
/// [`Query::with_total_up_to`](crate::Query::with_total_up_to)).
///
/// # Examples
///
/// ```
/// use portcullis::page::Total;
///
/// let total = Total { count: 10_000, exact: false }; // "10,000 or more"
/// assert_eq!(serde_json::to_string(&total).unwrap(), r#"{"count":10000,"exact":false}"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Total {
    /// The number of rows, or the bound when there are more.
    pub count: i64,
    /// `false` when counting stopped at the bound: there are more than `count` rows.
    pub exact: bool,
}

/// One page of a keyset-paginated list. Shaped, it serializes as
/// `{"items": [..], "next": "<cursor>" | null}`, with `"total"` when asked for.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::Read;
/// use portcullis::page::CursorPage;
///
/// # block_on(async {
/// # let pool = pool().await;
/// let scope = documents(&alice()).scope::<Read>();
/// let page: CursorPage<Document> = scope.query().page_after(None, 10, &pool).await?;
/// assert_eq!(page.items.len(), 2);
/// let json = serde_json::to_string(&scope.shape(page)).unwrap();
/// assert!(json.ends_with(r#""next":null}"#), "{json}");
/// # Ok::<(), portcullis::page::PageError>(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct CursorPage<E> {
    /// The rows, in order.
    pub items: Vec<E>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// The bounded total, when asked for with `with_total`.
    pub total: Option<Total>,
}

/// `{"items": [..], "next": "<cursor>" | null}`, plus `"total": {"count": n, "exact": bool}`
/// when the query asked for one.
impl<E: Resource> Shape for CursorPage<E> {
    type Entity = E;
    fn rows(&self) -> &[E] {
        &self.items
    }
    fn serialize_masked<S: Serializer>(
        &self,
        view: &RowMasks<'_>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let len = 2 + usize::from(self.total.is_some());
        let mut st = s.serialize_struct("CursorPage", len)?;
        st.serialize_field(
            "items",
            &Rows {
                rows: &self.items,
                view,
            },
        )?;
        st.serialize_field("next", &self.next)?;
        if let Some(total) = &self.total {
            st.serialize_field("total", total)?;
        } else {
            st.skip_field("total")?;
        }
        st.end()
    }
}

/// A field type that can key a cursor: its values survive a JSON round trip exactly and
/// order the same in SQL and in Rust. Implemented for integers, `bool` and `String`; implement
/// it for your own key types (a UUID as its string form, say). Not for `Option` (NULLs order
/// differently on each backend) nor floats (NaN).
///
/// # Examples
///
/// ```
/// use portcullis::page::CursorField;
/// use serde_json::Value;
///
/// #[derive(Clone, PartialEq, Debug)]
/// struct Sku(String);
///
/// impl CursorField for Sku {
///     fn to_cursor(&self) -> Value {
///         Value::String(self.0.clone())
///     }
///     fn from_cursor(value: &Value) -> Option<Self> {
///         value.as_str().map(|s| Sku(s.to_owned()))
///     }
/// }
///
/// let sku = Sku("A-1".into());
/// assert_eq!(Sku::from_cursor(&sku.to_cursor()), Some(sku));
/// assert_eq!(i8::from_cursor(&Value::from(300)), None); // does not fit
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot key a cursor page",
    note = "order cursor pages by integer, `bool` or `String` fields, or implement `portcullis::page::CursorField` for `{Self}`"
)]
pub trait CursorField: Sized {
    /// The value as JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::page::CursorField;
    ///
    /// assert_eq!(42i64.to_cursor(), serde_json::json!(42));
    /// ```
    fn to_cursor(&self) -> Value;
    /// The value back from JSON; `None` when it does not fit the type.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::page::CursorField;
    ///
    /// assert_eq!(u8::from_cursor(&serde_json::json!(7)), Some(7));
    /// assert_eq!(u8::from_cursor(&serde_json::json!(-1)), None);
    /// ```
    fn from_cursor(value: &Value) -> Option<Self>;
}

macro_rules! cursor_ints {
    ($($t:ty),*) => {$(
        impl CursorField for $t {
            fn to_cursor(&self) -> Value {
                Value::from(*self)
            }
            fn from_cursor(value: &Value) -> Option<Self> {
                if let Some(i) = value.as_i64() {
                    return <$t>::try_from(i).ok();
                }
                value.as_u64().and_then(|u| <$t>::try_from(u).ok())
            }
        }
    )*};
}
cursor_ints!(i8, i16, i32, i64, u8, u16, u32, u64);

impl CursorField for bool {
    fn to_cursor(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_cursor(value: &Value) -> Option<Self> {
        value.as_bool()
    }
}

impl CursorField for String {
    fn to_cursor(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_cursor(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_owned)
    }
}

/// Which comparison a keyset term makes.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOp {
    Eq,
    Gt,
    Lt,
}

// Generated code asks `(&CursorProbe::<T>::NEW).encode(..)` for every field: fields whose type
// implements `CursorField` answer through it, the others (found one auto-ref later) with
// `None`, so an entity with a field of any type still compiles.
#[doc(hidden)]
pub struct CursorProbe<T>(PhantomData<fn() -> T>);

impl<T> CursorProbe<T> {
    #[doc(hidden)]
    pub const NEW: Self = CursorProbe(PhantomData);
}

#[doc(hidden)]
pub trait CursorSupported<T> {
    fn encode(&self, value: &T) -> Option<Value>;
    fn decode(&self, value: &Value) -> Option<T>;
}

impl<T: CursorField> CursorSupported<T> for CursorProbe<T> {
    #[inline]
    fn encode(&self, value: &T) -> Option<Value> {
        Some(value.to_cursor())
    }
    #[inline]
    fn decode(&self, value: &Value) -> Option<T> {
        T::from_cursor(value)
    }
}

#[doc(hidden)]
pub trait CursorUnsupported<T> {
    fn encode(&self, _value: &T) -> Option<Value> {
        None
    }
    fn decode(&self, _value: &Value) -> Option<T> {
        None
    }
}

impl<T> CursorUnsupported<T> for &CursorProbe<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor::new("id-".into(), vec![Value::from(42i64)]);
        let text = c.to_string();
        assert_eq!(Cursor::parse("after", &text).unwrap(), c);
        for bad in [
            "",
            "!!!",
            "bm90IGpzb24",
            &"A".repeat(5000),
            "WyJpZC0iLFtdXQ",
            "WyJpZC0iLFtudWxsXV0",
        ] {
            let err = Cursor::parse("after", bad).unwrap_err();
            assert!(err.to_string().contains("`after`"), "{err}");
        }
    }

    #[test]
    fn integer_keys_refuse_out_of_range_values() {
        assert_eq!(i8::from_cursor(&Value::from(300)), None);
        assert_eq!(u64::from_cursor(&Value::from(u64::MAX)), Some(u64::MAX));
        assert_eq!(i64::from_cursor(&Value::from(-1)), Some(-1));
        assert_eq!(i64::from_cursor(&Value::from("1")), None);
    }

    #[test]
    #[allow(clippy::needless_borrow)] // the borrow is the dispatch (auto-ref specialization)
    fn probes_dispatch_on_the_field_type() {
        #[allow(unused_imports)]
        use super::{CursorSupported as _, CursorUnsupported as _};
        struct Opaque;
        assert_eq!((&CursorProbe::<i64>::NEW).encode(&5), Some(Value::from(5)));
        assert_eq!((&CursorProbe::<Opaque>::NEW).encode(&Opaque), None);
        assert_eq!(
            (&CursorProbe::<Option<i64>>::NEW).decode(&Value::from(5)),
            None
        );
    }
}
