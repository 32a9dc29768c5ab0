//! `Shaped<T>`: the only way a resource becomes JSON. Each row writes its `#[expose]` fields
//! that the subject may read, straight into the serializer (no intermediate `Value`).
//!
//! ```
//! # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
//! let shaped = documents(&alice()).shape(vec![doc(1, 1, 1, "Plan"), doc(3, 2, 3, "Other")]);
//! // Row 3 is outside Alice's tenant: it keeps its place but shows no field.
//! assert_eq!(
//!     serde_json::to_string(&shaped).unwrap(),
//!     r#"[{"id":1,"owner_id":1,"title":"Plan"},{}]"#
//! );
//! ```

use crate::model::resource::{FieldSet, Resource};
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};

/// A page of rows with its position in the whole result: what [`Query::paginate`](crate::Query::paginate)
/// returns. Shaped, it serializes as `{"items": [..], "total", "page", "per_page", "pages"}`.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::Page;
///
/// let page = Page { items: vec![doc(1, 1, 1, "Plan")], total: 3, page: 1, per_page: 1 };
/// assert_eq!(
///     serde_json::to_string(&documents(&alice()).shape(page)).unwrap(),
///     r#"{"items":[{"id":1,"owner_id":1,"title":"Plan"}],"total":3,"page":1,"per_page":1,"pages":3}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Page<E> {
    /// The rows of this page.
    pub items: Vec<E>,
    /// The number of rows in scope across all pages.
    pub total: i64,
    /// The page number, from 1.
    pub page: i64,
    /// The page size.
    pub per_page: i64,
}

impl<E> Page<E> {
    /// The number of pages (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::Page;
    ///
    /// let page = Page::<()> { items: vec![], total: 101, page: 1, per_page: 20 };
    /// assert_eq!(page.pages(), 6);
    /// assert_eq!(Page::<()> { items: vec![], total: 0, page: 1, per_page: 20 }.pages(), 1);
    /// ```
    pub fn pages(&self) -> i64 {
        if self.per_page <= 0 {
            return 1;
        }
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// What can be shaped: one entity, a `Vec` of them, a [`Page`] or a
/// [`CursorPage`](crate::page::CursorPage).
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::shaped::Shape;
///
/// fn count_rows<T: Shape>(value: &T) -> usize {
///     value.rows().len()
/// }
/// assert_eq!(count_rows(&doc(1, 1, 1, "Plan")), 1);
/// assert_eq!(count_rows(&vec![doc(1, 1, 1, "Plan"), doc(2, 1, 2, "Budget")]), 2);
/// ```
pub trait Shape: Sized {
    /// The resource type.
    type Entity: Resource;
    /// The rows, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::shaped::Shape;
    ///
    /// let rows = vec![doc(2, 1, 2, "Budget"), doc(1, 1, 1, "Plan")];
    /// assert_eq!(rows.rows()[0].id, 2);
    /// ```
    fn rows(&self) -> &[Self::Entity];
    /// Serializes with one field mask (and optionally capability bits) per row.
    #[doc(hidden)]
    fn serialize_masked<S: Serializer>(&self, view: &RowMasks<'_>, s: S)
    -> Result<S::Ok, S::Error>;
}

/// What each row of a [`Shaped`] shows: its field mask, narrowed by [`Shaped::fields`], and
/// the capability answers when asked for. Built by `Shaped`; read by [`Shape`] implementations.
#[doc(hidden)]
pub struct RowMasks<'a> {
    masks: &'a [u64],
    narrow: u64,
    caps: Option<&'a RowCapabilities>,
}

/// Per row, which of the named actions the subject may take (bit `i` = `names[i]`).
struct RowCapabilities {
    names: &'static [&'static str],
    bits: Vec<u64>,
}

/// The `"_can"` object of one row.
struct CanObject {
    names: &'static [&'static str],
    bits: u64,
}

impl serde::Serialize for CanObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.names.len()))?;
        for (i, name) in self.names.iter().enumerate() {
            map.serialize_entry(name, &(self.bits & (1u64 << i) != 0))?;
        }
        map.end()
    }
}

/// The key of the capability object in a shaped row; `#[derive(Resource)]` refuses a field
/// serialized under this name.
pub const CAPABILITIES_KEY: &str = "_can";

struct Row<'a, E> {
    row: &'a E,
    mask: FieldSet<E>,
    /// The row's capability names and bits; left out for a row that shows no field, so a row
    /// the subject may not read tells nothing about it.
    can: Option<(&'static [&'static str], u64)>,
}

impl<E: Resource> serde::Serialize for Row<'_, E> {
    #[inline]
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let can = self.can.filter(|_| self.mask.bits() != 0);
        let len = self.row.serialized_len(self.mask) + usize::from(can.is_some());
        let mut st = s.serialize_struct(E::NAME, len)?;
        self.row.serialize_fields(self.mask, &mut st)?;
        if let Some((names, bits)) = can {
            st.serialize_field(CAPABILITIES_KEY, &CanObject { names, bits })?;
        }
        st.end()
    }
}

impl RowMasks<'_> {
    fn row<'r, E>(&self, i: usize, row: &'r E) -> Row<'r, E> {
        Row {
            row,
            mask: FieldSet::from_bits(self.masks.get(i).copied().unwrap_or(0) & self.narrow),
            can: self
                .caps
                .map(|c| (c.names, c.bits.get(i).copied().unwrap_or(0))),
        }
    }
}

pub(crate) struct Rows<'a, E> {
    pub(crate) rows: &'a [E],
    pub(crate) view: &'a RowMasks<'a>,
}

impl<E: Resource> serde::Serialize for Rows<'_, E> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.rows.len()))?;
        for (i, row) in self.rows.iter().enumerate() {
            seq.serialize_element(&self.view.row(i, row))?;
        }
        seq.end()
    }
}

impl<E: Resource> Shape for E {
    type Entity = E;
    fn rows(&self) -> &[E] {
        std::slice::from_ref(self)
    }
    fn serialize_masked<S: Serializer>(
        &self,
        view: &RowMasks<'_>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&view.row(0, self), s)
    }
}

impl<E: Resource> Shape for Vec<E> {
    type Entity = E;
    fn rows(&self) -> &[E] {
        self
    }
    fn serialize_masked<S: Serializer>(
        &self,
        view: &RowMasks<'_>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&Rows { rows: self, view }, s)
    }
}

impl<E: Resource> Shape for Page<E> {
    type Entity = E;
    fn rows(&self) -> &[E] {
        &self.items
    }
    fn serialize_masked<S: Serializer>(
        &self,
        view: &RowMasks<'_>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Page", 5)?;
        st.serialize_field(
            "items",
            &Rows {
                rows: &self.items,
                view,
            },
        )?;
        st.serialize_field("total", &self.total)?;
        st.serialize_field("page", &self.page)?;
        st.serialize_field("per_page", &self.per_page)?;
        st.serialize_field("pages", &self.pages())?;
        st.end()
    }
}

/// A value ready for a response: serializes only exposed ∩ permitted fields of each row.
/// Made by `ability.shape(..)` / `scope.shape(..)`; narrowed further with [`Shaped::fields`].
///
/// Entities have no `Serialize` of their own: a `Shaped` is the only way one reaches a
/// response body. It is an axum response (`application/json`).
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use axum::response::IntoResponse;
/// use portcullis::Shaped;
///
/// let shaped: Shaped<Document> = documents(&alice()).shape(doc(1, 1, 1, "Plan"));
/// // `tenant_id` (not `#[expose]`d) is absent.
/// assert_eq!(serde_json::to_string(&shaped).unwrap(), r#"{"id":1,"owner_id":1,"title":"Plan"}"#);
/// let response = shaped.into_response();
/// assert_eq!(response.headers()["content-type"], "application/json");
/// ```
pub struct Shaped<T: Shape> {
    value: T,
    masks: Vec<u64>,
    narrow: u64,
    caps: Option<RowCapabilities>,
}

impl<T: Shape> Shaped<T> {
    /// How many rows this value shapes (the response buffer is sized from it).
    pub(crate) fn row_count(&self) -> usize {
        self.masks.len()
    }

    #[doc(hidden)]
    pub fn __new(value: T, mut permitted: impl FnMut(&T::Entity) -> FieldSet<T::Entity>) -> Self {
        let exposed = <T::Entity as Resource>::EXPOSED;
        let masks = value
            .rows()
            .iter()
            .map(|row| permitted(row).intersect(exposed).bits())
            .collect();
        Self {
            value,
            masks,
            narrow: u64::MAX,
            caps: None,
        }
    }

    /// Adds to each row the answers of `can(bit, row)` for the actions `names`/`bits` name.
    #[doc(hidden)]
    pub fn __with_capabilities(
        mut self,
        names: &'static [&'static str],
        bits: &'static [u32],
        mut can: impl FnMut(u32, &T::Entity) -> bool,
    ) -> Self {
        let per_row = self
            .value
            .rows()
            .iter()
            .map(|row| {
                bits.iter()
                    .enumerate()
                    .filter(|(_, bit)| can(**bit, row))
                    .fold(0u64, |acc, (i, _)| acc | (1u64 << i))
            })
            .collect();
        self.caps = Some(RowCapabilities {
            names,
            bits: per_row,
        });
        self
    }

    /// Whether row `i` carries `action` as allowed in its `"_can"` object: `None` when the
    /// value was shaped without that action (or past the last row).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Delete, Update};
    ///
    /// let rows = vec![doc(1, 1, 1, "Plan"), doc(2, 1, 2, "Budget")];
    /// let shaped = documents(&alice()).shape_with_capabilities(rows, (Update, Delete));
    /// assert_eq!(shaped.capability(0, "update"), Some(true)); // her own
    /// assert_eq!(shaped.capability(1, "update"), Some(false)); // Bob's
    /// assert_eq!(shaped.capability(0, "delete"), Some(false)); // she is no admin
    /// assert_eq!(shaped.capability(0, "archive"), None); // not asked for
    /// ```
    pub fn capability(&self, i: usize, action: &str) -> Option<bool> {
        let caps = self.caps.as_ref()?;
        let bits = *caps.bits.get(i)?;
        let at = caps.names.iter().position(|n| *n == action)?;
        Some(bits & (1u64 << at) != 0)
    }

    /// Keeps only the picked fields (names checked at compile time):
    /// `shaped.fields(|f| f.id | f.title)`. Narrowing only: a field the row may not show stays
    /// hidden whatever is picked.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// let shaped = documents(&alice()).shape(doc(1, 1, 1, "Plan")).fields(|f| f.id | f.title);
    /// assert_eq!(serde_json::to_string(&shaped).unwrap(), r#"{"id":1,"title":"Plan"}"#);
    /// // Picking a field that is not exposed does not show it.
    /// let shaped = documents(&alice()).shape(doc(1, 1, 1, "Plan")).fields(|f| f.tenant_id);
    /// assert_eq!(serde_json::to_string(&shaped).unwrap(), "{}");
    /// ```
    pub fn fields<F>(mut self, pick: impl FnOnce(&<T::Entity as Resource>::Fields) -> F) -> Self
    where
        F: Into<FieldSet<T::Entity>>,
    {
        self.narrow &= pick(&<T::Entity as Resource>::FIELDS).into().bits();
        self
    }

    /// The fields row `i` will show (empty past the last row).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{FieldSet, Resource};
    ///
    /// let shaped = documents(&alice()).shape(vec![doc(1, 1, 1, "Plan"), doc(3, 2, 3, "Other")]);
    /// let f = Document::FIELDS;
    /// assert_eq!(shaped.visible_fields(0), f.id | f.owner_id | f.title);
    /// assert_eq!(shaped.visible_fields(1), FieldSet::EMPTY); // another tenant's row
    /// ```
    pub fn visible_fields(&self, i: usize) -> FieldSet<T::Entity> {
        FieldSet::from_bits(self.masks.get(i).copied().unwrap_or(0) & self.narrow)
    }

    /// The shaped value (for tests and further processing; it does not serialize by itself).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// let shaped = documents(&alice()).shape(doc(1, 1, 1, "Plan"));
    /// assert_eq!(shaped.get().tenant_id, 1); // all fields are still there in Rust
    /// ```
    pub fn get(&self) -> &T {
        &self.value
    }

    /// Takes the value back out.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// let rows = documents(&alice()).shape(vec![doc(1, 1, 1, "Plan")]).into_inner();
    /// assert_eq!(rows.len(), 1);
    /// ```
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Shape> serde::Serialize for Shaped<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let view = RowMasks {
            masks: &self.masks,
            narrow: self.narrow,
            caps: self.caps.as_ref(),
        };
        self.value.serialize_masked(&view, s)
    }
}
