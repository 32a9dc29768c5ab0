//! Resources: entities derived with `#[derive(Resource)]`, their fields as compile-checked
//! handles and bitsets, and the value conversions conditions use.
//!
//! ```
//! use portcullis::{Resource, policy};
//!
//! diesel::table! {
//!     notes (id) {
//!         id -> BigInt,
//!         owner_id -> BigInt,
//!         title -> Text,
//!     }
//! }
//!
//! #[derive(Resource, diesel::Queryable, diesel::Selectable)]
//! #[diesel(table_name = notes)]
//! #[resource(rename_all = "camelCase")]
//! pub struct Note {
//!     #[expose]
//!     pub id: i64,
//!     #[expose]
//!     pub owner_id: i64,
//!     #[expose(rename = "heading")]
//!     pub title: String,
//! }
//!
//! assert_eq!(Note::NAME, "Note");
//! assert_eq!(Note::JSON_NAMES, ["id", "ownerId", "heading"]);
//! assert_eq!(Note::EXPOSED.len(), 3);
//! ```

use std::marker::PhantomData;

/// A diesel entity portcullis can scope, shape, patch and create. Implemented by
/// `#[derive(Resource)]`; never by hand.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{FieldSet, Resource};
///
/// let f = Document::FIELDS;
/// assert_eq!(Document::RUST_NAMES, ["id", "tenant_id", "owner_id", "title", "archived"]);
/// assert_eq!(Document::EXPOSED, f.id | f.owner_id | f.title); // `#[expose]`
/// assert_eq!(Document::PRIMARY_KEY, f.id);
/// assert!(!Document::CONCEAL);
/// assert_eq!(FieldSet::<Document>::all().len(), 5);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a portcullis resource",
    label = "not a resource",
    note = "add `#[derive(portcullis::Resource)]` to the definition of `{Self}` (beside `Queryable, Selectable`)"
)]
pub trait Resource: Sized + Send + Sync + 'static {
    /// The diesel table the entity is loaded from.
    type Table: diesel::Table + Default + Copy + Send + 'static;
    /// One [`Field`] handle per field, for compile-checked names: `|f| f.title | f.body`.
    type Fields: 'static;
    /// One [`Col`] per field: the diesel column and the field's Rust type.
    type Columns: 'static;
    /// Partial updates: every field but the key as an `Option` (absent = unchanged).
    type Patch: Default + Send + 'static;
    /// Create input: every field but the key as an `Option` (absent = default / pinned).
    type Create: Default + Clone + Send + Sync + 'static;
    /// The primary key's Rust type.
    type Id: Clone + Send + Sync + std::fmt::Debug + std::str::FromStr + 'static;
    /// The type name, used in problems and logs.
    const NAME: &'static str;
    /// Each field's JSON name (after `rename` / `rename_all`), in declaration order.
    const JSON_NAMES: &'static [&'static str];
    /// Each field's Rust name, in declaration order.
    const RUST_NAMES: &'static [&'static str];
    /// The fields marked `#[expose]`.
    const EXPOSED: FieldSet<Self>;
    /// The primary-key field.
    const PRIMARY_KEY: Field<Self>;
    /// `#[resource(conceal)]`: an out-of-scope row answers 404 rather than 403.
    const CONCEAL: bool;
    /// The field handles.
    const FIELDS: Self::Fields;
    /// The column handles.
    const COLUMNS: Self::Columns;

    /// The primary key of this row.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert_eq!(*doc(7, 1, 1, "Plan").id(), 7);
    /// ```
    fn id(&self) -> &Self::Id;

    /// Writes the fields in `fields` (already intersected with [`Resource::EXPOSED`]) into a
    /// serde struct serializer, skipping `skip_if_none` fields that are `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    /// use serde::ser::{SerializeStruct, Serializer};
    ///
    /// // What `Shaped` does for one row: a struct of the chosen fields.
    /// let row = doc(1, 1, 1, "Plan");
    /// let fields = Document::FIELDS.id | Document::FIELDS.title;
    /// let mut out = Vec::new();
    /// let mut ser = serde_json::Serializer::new(&mut out);
    /// let mut st = ser.serialize_struct("Document", row.serialized_len(fields)).unwrap();
    /// row.serialize_fields(fields, &mut st).unwrap();
    /// st.end().unwrap();
    /// assert_eq!(out, br#"{"id":1,"title":"Plan"}"#);
    /// ```
    fn serialize_fields<S: serde::ser::SerializeStruct>(
        &self,
        fields: FieldSet<Self>,
        s: &mut S,
    ) -> Result<(), S::Error>;

    /// The number of entries [`Resource::serialize_fields`] writes for `fields`.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let row = doc(1, 1, 1, "Plan");
    /// assert_eq!(row.serialized_len(Document::EXPOSED), 3);
    /// ```
    fn serialized_len(&self, fields: FieldSet<Self>) -> usize;

    /// Sets the patch field with JSON name `name` from `value`.
    #[doc(hidden)]
    fn __patch_set(patch: &mut Self::Patch, name: &str, value: serde_json::Value)
    -> SetField<Self>;

    /// Sets the create-input field with JSON name `name` from `value`.
    #[doc(hidden)]
    fn __create_set(
        input: &mut Self::Create,
        name: &str,
        value: serde_json::Value,
    ) -> SetField<Self>;

    /// Builds the row a create input would insert (key = `Default`), or names missing fields.
    #[doc(hidden)]
    fn __candidate(input: &Self::Create) -> Result<Self, Vec<&'static str>>;

    /// Field `field` of this row as a cursor key; `None` when its type cannot key a cursor
    /// (see [`CursorField`](crate::backend::page::CursorField)).
    #[doc(hidden)]
    fn __cursor_value(&self, field: usize) -> Option<serde_json::Value>;
}

/// The outcome of setting one field of a patch or create input from JSON.
#[doc(hidden)]
pub enum SetField<E> {
    /// Set.
    Set(Field<E>),
    /// No field has that JSON name.
    Unknown,
    /// The key (or another field the input cannot carry).
    ReadOnly(Field<E>),
    /// The value has the wrong type for the field.
    Invalid(Field<E>, String),
}

/// One field of resource `E`, as a compile-checked handle (`Document::fields().title`).
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{Field, Resource};
///
/// let title: Field<Document> = Document::FIELDS.title;
/// assert_eq!((title.index(), title.name()), (3, "title"));
/// assert_eq!(format!("{title:?}"), "title");
/// ```
pub struct Field<E> {
    index: u8,
    _e: PhantomData<fn() -> E>,
}

impl<E> Clone for Field<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for Field<E> {}
impl<E> PartialEq for Field<E> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}
impl<E> Eq for Field<E> {}

impl<E> Field<E> {
    #[doc(hidden)]
    pub const fn __new(index: u8) -> Self {
        Self {
            index,
            _e: PhantomData,
        }
    }

    /// The field's position in declaration order.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert_eq!(Document::FIELDS.owner_id.index(), 2);
    /// ```
    pub const fn index(self) -> usize {
        self.index as usize
    }

    /// A set holding only this field.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let set = Document::FIELDS.title.set();
    /// assert_eq!((set.len(), set.contains(Document::FIELDS.title)), (1, true));
    /// ```
    pub const fn set(self) -> FieldSet<E> {
        FieldSet::from_bits(1u64 << self.index)
    }

    /// Ascending order on this field, for [`crate::scope::Query::order_by`].
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::{Read, Resource};
    ///
    /// let order = Document::FIELDS.title.asc();
    /// assert!(!order.descending);
    /// // Usually written inside `order_by`:
    /// let _query = documents(&alice()).scope::<Read>().query().order_by(|f| f.title.asc());
    /// ```
    pub const fn asc(self) -> Order<E> {
        Order {
            field: self,
            descending: false,
        }
    }

    /// Descending order on this field.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert!(Document::FIELDS.id.desc().descending);
    /// ```
    pub const fn desc(self) -> Order<E> {
        Order {
            field: self,
            descending: true,
        }
    }
}

impl<E: Resource> Field<E> {
    /// The field's Rust name.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert_eq!(Document::FIELDS.tenant_id.name(), "tenant_id");
    /// ```
    pub fn name(self) -> &'static str {
        E::RUST_NAMES[self.index()]
    }
}

impl<E: Resource> std::fmt::Debug for Field<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An ordering on one field.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::Resource;
/// use portcullis::resource::Order;
///
/// let order: Order<Document> = Document::FIELDS.id.desc();
/// assert_eq!((order.field, order.descending), (Document::FIELDS.id, true));
/// ```
pub struct Order<E> {
    /// The field ordered by.
    pub field: Field<E>,
    /// Whether the order is descending.
    pub descending: bool,
}

impl<E> Clone for Order<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for Order<E> {}

/// A set of fields of resource `E` (at most 64 fields per resource).
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::{FieldSet, Resource};
///
/// let f = Document::FIELDS;
/// let set: FieldSet<Document> = f.id | f.title;
/// assert_eq!(format!("{set:?}"), r#"{"id", "title"}"#);
/// assert!(set.contains(f.title) && !set.contains(f.owner_id));
/// ```
pub struct FieldSet<E> {
    bits: u64,
    _e: PhantomData<fn() -> E>,
}

impl<E> Clone for FieldSet<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for FieldSet<E> {}
impl<E> PartialEq for FieldSet<E> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<E> Eq for FieldSet<E> {}

impl<E> FieldSet<E> {
    /// No fields.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::FieldSet;
    ///
    /// assert!(FieldSet::<Document>::EMPTY.is_empty());
    /// ```
    pub const EMPTY: Self = Self::from_bits(0);

    #[doc(hidden)]
    pub const fn from_bits(bits: u64) -> Self {
        Self {
            bits,
            _e: PhantomData,
        }
    }

    /// The raw bitset (bit `i` = field `i` in declaration order).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert_eq!((Document::FIELDS.id | Document::FIELDS.title).bits(), 0b1001);
    /// ```
    pub const fn bits(self) -> u64 {
        self.bits
    }

    /// Whether `field` is in the set.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert!(Document::EXPOSED.contains(Document::FIELDS.title));
    /// assert!(!Document::EXPOSED.contains(Document::FIELDS.tenant_id));
    /// ```
    pub const fn contains(self, field: Field<E>) -> bool {
        self.bits & (1u64 << field.index) != 0
    }

    /// Whether the field at `index` is in the set.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert!(Document::EXPOSED.contains_index(0));
    /// assert!(!Document::EXPOSED.contains_index(64)); // out of range: never
    /// ```
    #[inline]
    pub const fn contains_index(self, index: usize) -> bool {
        index < 64 && self.bits & (1u64 << index) != 0
    }

    /// The fields in both sets.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let f = Document::FIELDS;
    /// assert_eq!((f.id | f.tenant_id).intersect(Document::EXPOSED), f.id.set());
    /// ```
    pub const fn intersect(self, other: Self) -> Self {
        Self::from_bits(self.bits & other.bits)
    }

    /// The fields in either set.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let f = Document::FIELDS;
    /// assert_eq!(f.id.set().union(f.title.set()), f.id | f.title);
    /// ```
    pub const fn union(self, other: Self) -> Self {
        Self::from_bits(self.bits | other.bits)
    }

    /// The fields of `self` not in `other`.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let f = Document::FIELDS;
    /// assert_eq!(Document::EXPOSED.minus(f.id.set()), f.owner_id | f.title);
    /// ```
    pub const fn minus(self, other: Self) -> Self {
        Self::from_bits(self.bits & !other.bits)
    }

    /// Whether the set is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert!(!Document::EXPOSED.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// The number of fields in the set.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert_eq!(Document::EXPOSED.len(), 3);
    /// ```
    pub const fn len(self) -> usize {
        self.bits.count_ones() as usize
    }

    /// The indices of the fields in the set, ascending.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert_eq!(Document::EXPOSED.indices().collect::<Vec<_>>(), [0, 2, 3]);
    /// ```
    pub fn indices(self) -> impl Iterator<Item = usize> {
        (0..64).filter(move |i| self.bits & (1u64 << i) != 0)
    }
}

impl<E: Resource> FieldSet<E> {
    /// Every field of `E`.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::FieldSet;
    ///
    /// assert_eq!(FieldSet::<Document>::all().len(), 5);
    /// ```
    pub fn all() -> Self {
        let n = E::RUST_NAMES.len();
        Self::from_bits(if n >= 64 { u64::MAX } else { (1u64 << n) - 1 })
    }

    /// The Rust names of the fields in the set.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// assert_eq!(Document::EXPOSED.names().collect::<Vec<_>>(), ["id", "owner_id", "title"]);
    /// ```
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        self.indices().map(|i| E::RUST_NAMES[i])
    }
}

impl<E: Resource> std::fmt::Debug for FieldSet<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

impl<E> std::ops::BitOr for Field<E> {
    type Output = FieldSet<E>;
    fn bitor(self, rhs: Self) -> FieldSet<E> {
        self.set().union(rhs.set())
    }
}
impl<E> std::ops::BitOr<Field<E>> for FieldSet<E> {
    type Output = FieldSet<E>;
    fn bitor(self, rhs: Field<E>) -> FieldSet<E> {
        self.union(rhs.set())
    }
}
impl<E> std::ops::BitOr for FieldSet<E> {
    type Output = FieldSet<E>;
    fn bitor(self, rhs: Self) -> FieldSet<E> {
        self.union(rhs)
    }
}
impl<E> std::ops::BitOr<FieldSet<E>> for Field<E> {
    type Output = FieldSet<E>;
    fn bitor(self, rhs: FieldSet<E>) -> FieldSet<E> {
        self.set().union(rhs)
    }
}
impl<E> From<Field<E>> for FieldSet<E> {
    fn from(f: Field<E>) -> Self {
        f.set()
    }
}

/// Field `I` of entity `E` (generated by `#[derive(Resource)]`), read without naming it.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::resource::FieldAt;
///
/// let row = doc(1, 1, 1, "Plan");
/// assert_eq!(<Document as FieldAt<3>>::field_at(&row), "Plan");
/// ```
pub trait FieldAt<const I: usize> {
    /// The field's Rust type.
    type Ty;
    /// The field on this row.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::resource::FieldAt;
    ///
    /// let row = doc(1, 1, 1, "Plan");
    /// let title: &String = FieldAt::<3>::field_at(&row);
    /// assert_eq!(title, "Plan");
    /// ```
    fn field_at(&self) -> &Self::Ty;
}

/// A column handle: field `I` of entity `E`, stored in diesel column `C`, of Rust type `T`.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::Resource;
///
/// // What `#[policy]` compiles `title == "Plan"` to, on each side.
/// let title = Document::COLUMNS.title;
/// assert_eq!(title.of(&doc(1, 1, 1, "Plan")).map(String::as_str), Some("Plan"));
/// let _column: documents::title = title.column();
/// ```
pub struct Col<C, T, E, const I: usize> {
    _c: ColMarker<C, T, E>,
}

type ColMarker<C, T, E> = PhantomData<fn() -> (C, T, E)>;

impl<C, T, E, const I: usize> Col<C, T, E, I> {
    #[doc(hidden)]
    pub const fn __new() -> Self {
        Self { _c: PhantomData }
    }
}

/// `Col`, reached through a field type's [`FieldType::Value`]: what [`cond_field`] returns.
#[doc(hidden)]
pub trait CondField<Col> {
    /// `Col`.
    type Checked;
}

impl<V: ?Sized, Col> CondField<Col> for V {
    type Checked = Col;
}

/// `column`, checked once for condition support. A field type without it fails here, with
/// [`FieldType`]'s message at the field's token; the handle's type then cannot be known (it is
/// reached through the missing `FieldType::Value`), so the rule's other uses of it (`of`,
/// `capture`, `column`, ..) add no errors of their own.
///
/// # Examples
///
/// ```
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// use portcullis::Resource;
/// use portcullis::resource::cond_field;
///
/// let title = cond_field(&Document::COLUMNS.title);
/// assert_eq!(title.of(&doc(1, 1, 1, "Plan")).map(String::as_str), Some("Plan"));
/// ```
#[doc(hidden)]
#[inline(always)]
pub fn cond_field<C, T: FieldType, E, const I: usize>(
    column: &Col<C, T, E, I>,
) -> &<T::Value as CondField<Col<C, T, E, I>>>::Checked {
    column
}

impl<C: Default, T: 'static, E: FieldAt<I, Ty = T>, const I: usize> Col<C, T, E, I> {
    /// The field's value on `row`, as conditions see it: `None` for NULL and for NaN, which
    /// no comparison matches.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let owner = Document::COLUMNS.owner_id;
    /// assert_eq!(owner.of(&doc(1, 1, 7, "Plan")), Some(&7));
    /// ```
    #[inline(always)]
    pub fn of<'r>(&self, row: &'r E) -> Option<&'r T::Value>
    where
        T: FieldType,
    {
        row.field_at().value().filter(|v| !T::unordered(v))
    }

    /// The diesel column.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use diesel::{ExpressionMethods, QueryDsl};
    /// use portcullis::Resource;
    ///
    /// let column = Document::COLUMNS.tenant_id.column();
    /// let _query = documents::table.filter(column.eq(1));
    /// ```
    #[inline]
    pub fn column(&self) -> C
    where
        T: FieldType,
    {
        C::default()
    }

    /// Converts a value a condition compares this field with into the field's value type,
    /// once, when the rule is collected. `None` (a `None` subject value) never matches.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let title = Document::COLUMNS.title;
    /// let captured: String = title.capture("Plan"); // a `&str` compared with a `String` field
    /// assert_eq!(title.captured(&captured).map(String::as_str), Some("Plan"));
    /// ```
    #[inline]
    pub fn capture<V: ValueFor<T::Value> + ?Sized>(&self, value: &V) -> V::Captured
    where
        T: FieldType,
    {
        value.capture()
    }

    /// A captured value as this field's value type; `None` (absent, or NaN) never matches, in
    /// the predicate and in SQL alike.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let owner = Document::COLUMNS.owner_id;
    /// assert_eq!(owner.captured(&Some(3i64)), Some(&3));
    /// assert_eq!(owner.captured(&None::<i64>), None); // never matches
    /// ```
    #[inline(always)]
    pub fn captured<'c, K: Captured<T::Value>>(&self, value: &'c K) -> Option<&'c T::Value>
    where
        T: FieldType,
    {
        value.get().filter(|v| !T::unordered(v))
    }

    /// Converts a list a condition tests membership in (`field in user.ids`). NaN elements are
    /// dropped: they match nothing (PostgreSQL would match them with stored NaNs). The list is
    /// shared, not copied, by the rule's predicate, its SQL builders and its simplifier key: a
    /// subject in 100,000 projects costs one copy per policy call, not four.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let ids = [Some(1i64), None, Some(3)];
    /// assert_eq!(*Document::COLUMNS.id.capture_list(&ids), [1, 3]);
    /// ```
    #[inline]
    pub fn capture_list<L: ListFor<T::Value> + ?Sized>(
        &self,
        list: &L,
    ) -> std::sync::Arc<[T::Value]>
    where
        T: FieldType,
    {
        let mut values = list.to_values();
        values.retain(|v| !T::unordered(v));
        values.into()
    }

    /// The simplifier's identity of a test of this field against `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    /// use portcullis::cond::LeafOp;
    ///
    /// let tenant = Document::COLUMNS.tenant_id;
    /// assert!(tenant.key(LeafOp::Eq, &1).same(&tenant.key(LeafOp::Eq, &1)));
    /// assert!(!tenant.key(LeafOp::Eq, &1).same(&tenant.key(LeafOp::Eq, &2)));
    /// ```
    #[inline]
    pub fn key(
        &self,
        op: crate::model::cond::LeafOp,
        value: &T::Value,
    ) -> crate::model::cond::LeafKey
    where
        T: FieldType,
    {
        crate::model::cond::LeafKey::new(I, op, Some(value.clone()))
    }

    /// The simplifier's identity of a test without a value (`archived`, `x.is_none()`).
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    /// use portcullis::cond::LeafOp;
    ///
    /// let archived = Document::COLUMNS.archived;
    /// assert!(archived.bare_key(LeafOp::Flag).same(&archived.bare_key(LeafOp::Flag)));
    /// ```
    #[inline]
    pub fn bare_key(&self, op: crate::model::cond::LeafOp) -> crate::model::cond::LeafKey
    where
        T: FieldType,
    {
        crate::model::cond::LeafKey::new(I, op, None::<()>)
    }

    /// The simplifier's identity of `field in list`.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let id = Document::COLUMNS.id;
    /// let list = |v: &[i64]| -> std::sync::Arc<[i64]> { v.into() };
    /// assert!(id.list_key(&list(&[1, 2])).same(&id.list_key(&list(&[1, 2]))));
    /// assert!(!id.list_key(&list(&[1, 2])).same(&id.list_key(&list(&[2, 1]))));
    /// ```
    #[inline]
    pub fn list_key(&self, list: &std::sync::Arc<[T::Value]>) -> crate::model::cond::LeafKey
    where
        T: FieldType,
    {
        // The key shares the captured list; two keys of one capture compare by pointer.
        crate::model::cond::LeafKey::new(
            I,
            crate::model::cond::LeafOp::In,
            Some(std::sync::Arc::clone(list)),
        )
    }

    /// A boolean field used as a whole condition (`archived`, `!archived`): `true` matches,
    /// `false` and NULL do not.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let mut row = doc(1, 1, 1, "Plan");
    /// assert!(!Document::COLUMNS.archived.is_true(&row));
    /// row.archived = true;
    /// assert!(Document::COLUMNS.archived.is_true(&row));
    /// ```
    #[inline(always)]
    pub fn is_true(&self, row: &E) -> bool
    where
        T: FieldType<Value = bool>,
    {
        matches!(row.field_at().value(), Some(true))
    }

    /// `field.is_none()` in the Rust predicate; only `Option` fields have it.
    ///
    /// # Examples
    ///
    /// ```
    /// // A nullable column: `deleted_at.is_none()` in a rule.
    /// use portcullis::Resource;
    ///
    /// diesel::table! { tasks (id) { id -> BigInt, deleted_at -> Nullable<BigInt> } }
    ///
    /// #[derive(Resource, diesel::Queryable, diesel::Selectable)]
    /// #[diesel(table_name = tasks)]
    /// pub struct Task {
    ///     #[expose]
    ///     pub id: i64,
    ///     pub deleted_at: Option<i64>,
    /// }
    ///
    /// assert!(Task::COLUMNS.deleted_at.is_none(&Task { id: 1, deleted_at: None }));
    /// ```
    #[inline(always)]
    pub fn is_none(&self, row: &E) -> bool
    where
        T: FieldType,
        T: NullableField,
    {
        row.field_at().value().is_none()
    }

    /// Fills a create-input field with the value a rule pins it to (`tenant_id ==
    /// user.tenant_id` in a `create` rule): only when absent, or always with `force`.
    ///
    /// # Examples
    ///
    /// ```
    /// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
    /// use portcullis::Resource;
    ///
    /// let tenant = Document::COLUMNS.tenant_id;
    /// let mut slot = None;
    /// tenant.pin(&mut slot, &1i64, false);
    /// assert_eq!(slot, Some(1));
    /// tenant.pin(&mut slot, &2i64, false); // already set by the client: kept
    /// assert_eq!(slot, Some(1));
    /// tenant.pin(&mut slot, &2i64, true);
    /// assert_eq!(slot, Some(2));
    /// ```
    #[inline]
    pub fn pin<V: Captured<T::Value>>(&self, slot: &mut Option<T>, value: &V, force: bool)
    where
        T: FieldType,
    {
        if (force || slot.is_none())
            && let Some(v) = self.captured(value)
        {
            *slot = Some(T::from_value(v.clone()));
        }
    }
}

/// The Rust type of a field usable in conditions: a plain value or an `Option` of one.
///
/// # Examples
///
/// ```
/// use portcullis::resource::FieldType;
///
/// assert_eq!(5i64.value(), Some(&5));
/// assert_eq!(None::<i64>.value(), None);
/// assert!(<Option<String> as FieldType>::NULLABLE && !<String as FieldType>::NULLABLE);
/// ```
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot be used in a policy condition",
    label = "this field's type has no condition support",
    note = "conditions work on integers, floats, `bool`, `String` and `Option`s of them; for your own types call `portcullis::condition_value!(YourType);`"
)]
pub trait FieldType {
    /// The non-null value type.
    type Value: PartialEq + PartialOrd + Clone + Send + Sync + 'static;
    /// `true` for `Option` fields (`is_none()` / `is_some()` are allowed on them).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::resource::FieldType;
    ///
    /// assert!(<Option<bool> as FieldType>::NULLABLE);
    /// ```
    const NULLABLE: bool;
    /// The value, or `None` for a NULL field.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::resource::FieldType;
    ///
    /// assert_eq!(Some("a".to_owned()).value().map(String::as_str), Some("a"));
    /// ```
    fn value(&self) -> Option<&Self::Value>;
    /// The field holding `value` (used to fill create inputs from rule pins).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::resource::FieldType;
    ///
    /// assert_eq!(<Option<i32> as FieldType>::from_value(3), Some(3));
    /// ```
    fn from_value(value: Self::Value) -> Self;
    /// Whether `value` is unordered (a float NaN): conditions treat it like NULL, so every
    /// comparison with it is false, `!=` included (README, "Conditions").
    #[doc(hidden)]
    #[inline(always)]
    fn unordered(value: &Self::Value) -> bool {
        let _ = value;
        false
    }
    /// Whether the column may hold values SQL orders differently from Rust (PostgreSQL stores
    /// NaN and sorts it above every number): `true` for `f32`/`f64`, whose `>`, `>=` and `!=`
    /// leaves then exclude NaN in SQL.
    #[doc(hidden)]
    const UNORDERED_IN_SQL: bool = false;
    /// `values` as one JSON array SQLite's `json_each` reads back as exactly these values, or
    /// `None` to bind one parameter per value (a long list then exceeds SQLite's limit).
    #[doc(hidden)]
    fn json_list(values: &[Self::Value]) -> Option<String> {
        let _ = values;
        None
    }
}

impl<T> FieldType for Option<T>
where
    T: FieldType<Value = T> + PartialEq + PartialOrd + Clone + Send + Sync + 'static,
{
    type Value = T;
    const NULLABLE: bool = true;
    #[inline]
    fn value(&self) -> Option<&T> {
        self.as_ref()
    }
    #[inline]
    fn from_value(value: T) -> Self {
        Some(value)
    }
    #[inline(always)]
    fn unordered(value: &T) -> bool {
        T::unordered(value)
    }
    const UNORDERED_IN_SQL: bool = T::UNORDERED_IN_SQL;
    fn json_list(values: &[T]) -> Option<String> {
        T::json_list(values)
    }
}

/// Never implemented: the bound of the `Serialize` impl `#[derive(Resource)]` emits, so that
/// serializing an entity directly fails with this message instead of serde's advice to derive
/// `Serialize` (which would bypass shaping).
///
/// # Examples
///
/// An entity serializes only through [`Shaped`](crate::Shaped):
///
/// ```compile_fail
/// # mod fx { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc_fixture.rs")); } use fx::*;
/// serde_json::to_string(&doc(1, 1, 1, "Plan")); // error: `Document` is a portcullis resource
/// ```
#[diagnostic::on_unimplemented(
    message = "`{E}` is a portcullis resource: it serializes only through `Shaped`",
    label = "the entity itself is never serialized",
    note = "respond with `ability.shape(row)`, `scope.shape(rows)` or `bind.shape()`: they write only `#[expose]` fields the subject may read"
)]
pub trait SerializeThroughShaped<E> {}

/// Fields that can be NULL: `Option<T>`. `is_none()` / `is_some()` need one.
///
/// # Examples
///
/// ```
/// use portcullis::resource::NullableField;
///
/// fn nullable<T: NullableField>() {}
/// nullable::<Option<i64>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`is_none()` / `is_some()` need an `Option` field; this field has type `{Self}` and is never NULL",
    label = "not an `Option` field",
    note = "remove the test, or compare the field with a value instead"
)]
pub trait NullableField {}
impl<T> NullableField for Option<T> {}

/// A value a field of value type `T` can be compared with in a condition.
///
/// # Examples
///
/// ```
/// use portcullis::resource::ValueFor;
///
/// // A `&str` subject value compared with a `String` field, an `Option` with an `i64` field.
/// assert_eq!(ValueFor::<String>::to_value("a"), Some("a".to_owned()));
/// assert_eq!(ValueFor::<i64>::to_value(&None::<i64>), None);
/// ```
#[diagnostic::on_unimplemented(
    message = "cannot compare a field of type `{T}` with a value of type `{Self}`",
    label = "expected a value of type `{T}` (or `Option<{T}>`) here",
    note = "compare the field with a literal or subject value of the field's own type, e.g. `{{user.id as i64}}` to convert"
)]
pub trait ValueFor<T> {
    /// How a rule stores the value: `T` for a plain value (no presence check at decision
    /// time), `Option<T>` for an optional one.
    type Captured: Captured<T> + Clone + Send + Sync + 'static;
    /// The value as a rule stores it.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::resource::ValueFor;
    ///
    /// let captured: Option<i64> = ValueFor::<i64>::capture(&Some(3i64));
    /// assert_eq!(captured, Some(3));
    /// ```
    fn capture(&self) -> Self::Captured;
    /// The value as the field's type; `None` never matches.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::resource::ValueFor;
    ///
    /// assert_eq!(ValueFor::<u8>::to_value(&7u8), Some(7));
    /// ```
    fn to_value(&self) -> Option<T>;
}

/// A value captured by a rule: `T` (always present) or `Option<T>`.
///
/// # Examples
///
/// ```
/// use portcullis::resource::Captured;
///
/// assert_eq!(Captured::<i64>::get(&4i64), Some(&4));
/// assert_eq!(Captured::<i64>::get(&None::<i64>), None);
/// ```
pub trait Captured<T> {
    /// The value, if present.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::resource::Captured;
    ///
    /// assert_eq!(Captured::<bool>::get(&Some(true)), Some(&true));
    /// ```
    fn get(&self) -> Option<&T>;
}

impl<T> Captured<T> for T {
    #[inline(always)]
    fn get(&self) -> Option<&T> {
        Some(self)
    }
}

impl<T> Captured<T> for Option<T> {
    #[inline(always)]
    fn get(&self) -> Option<&T> {
        self.as_ref()
    }
}

impl<T, V: ValueFor<T> + ?Sized> ValueFor<T> for &V {
    type Captured = V::Captured;
    #[inline]
    fn capture(&self) -> V::Captured {
        (**self).capture()
    }
    #[inline]
    fn to_value(&self) -> Option<T> {
        (**self).to_value()
    }
}

impl<T: Clone + Send + Sync + 'static, V: ValueFor<T>> ValueFor<T> for Option<V> {
    type Captured = Option<T>;
    #[inline]
    fn capture(&self) -> Option<T> {
        self.to_value()
    }
    #[inline]
    fn to_value(&self) -> Option<T> {
        self.as_ref().and_then(ValueFor::to_value)
    }
}

impl ValueFor<String> for str {
    type Captured = String;
    fn capture(&self) -> String {
        self.to_owned()
    }
    fn to_value(&self) -> Option<String> {
        Some(self.to_owned())
    }
}

/// A list a field of value type `T` can be tested for membership in (`field in list`).
///
/// # Examples
///
/// ```
/// use portcullis::resource::ListFor;
///
/// assert_eq!(ListFor::<i64>::to_values(&vec![1i64, 2]), [1, 2]);
/// assert_eq!(ListFor::<i64>::to_values(&[Some(1i64), None]), [1]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a list of values comparable with a field of type `{T}`",
    label = "expected a list (`[..]`, `Vec`, slice) of `{T}` here",
    note = "write `field in [a, b]`, or `field in {{ids}}` for a `Vec`/slice/array of `{T}`; for one value write `field == value`"
)]
pub trait ListFor<T> {
    /// The list's values; `None` elements are dropped (they never match).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::resource::ListFor;
    ///
    /// let names: Vec<String> = ListFor::<String>::to_values(&["a", "b"][..]);
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    fn to_values(&self) -> Vec<T>;
}

impl<T, V: ValueFor<T>> ListFor<T> for [V] {
    fn to_values(&self) -> Vec<T> {
        self.iter().filter_map(ValueFor::to_value).collect()
    }
}
impl<T, V: ValueFor<T>, const N: usize> ListFor<T> for [V; N] {
    fn to_values(&self) -> Vec<T> {
        self.iter().filter_map(ValueFor::to_value).collect()
    }
}
impl<T, V: ValueFor<T>> ListFor<T> for Vec<V> {
    fn to_values(&self) -> Vec<T> {
        self.iter().filter_map(ValueFor::to_value).collect()
    }
}
impl<T, L: ListFor<T> + ?Sized> ListFor<T> for &L {
    fn to_values(&self) -> Vec<T> {
        (**self).to_values()
    }
}

/// Makes a type usable in policy conditions: as a field type and as a value compared with it.
/// The type must be `PartialEq + PartialOrd + Clone + Send + Sync + 'static`, and (for the SQL
/// side) diesel's `AsExpression` for its column type, as any diesel field type is.
///
/// `condition_value!(MyType)` binds an `in` list one parameter per value, which SQLite caps at
/// 32,766 per statement. A type stored as a built-in one (a newtype over an id, a score) says
/// so with `condition_value!(MyType as i64)` (`i64: From<MyType>`; any built-in works): its
/// lists then travel as that type's, one bound array of any length on every backend, and a
/// float representation brings the float rules (NaN matches nothing).
///
/// ```
/// #[derive(Debug, Clone, PartialEq, PartialOrd)]
/// pub struct Level(u8);
/// portcullis::condition_value!(Level);
///
/// #[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
/// pub struct ProjectId(i64);
/// impl From<ProjectId> for i64 {
///     fn from(id: ProjectId) -> i64 {
///         id.0
///     }
/// }
/// portcullis::condition_value!(ProjectId as i64);
///
/// use portcullis::resource::FieldType;
/// let ids = [ProjectId(3), ProjectId(-7)];
/// assert_eq!(<ProjectId as FieldType>::json_list(&ids).as_deref(), Some("[3,-7]"));
/// ```
#[macro_export]
macro_rules! condition_value {
    // Stored as a built-in type: lists and NaN handling follow that type.
    ($t:ty as $repr:ty) => {
        $crate::condition_value!(@with $t {
            fn unordered(value: &$t) -> bool {
                <$repr as $crate::model::resource::FieldType>::unordered(
                    &<$repr as ::core::convert::From<$t>>::from(::core::clone::Clone::clone(value)),
                )
            }
            const UNORDERED_IN_SQL: bool =
                <$repr as $crate::model::resource::FieldType>::UNORDERED_IN_SQL;
            fn json_list(values: &[$t]) -> ::core::option::Option<::std::string::String> {
                let values: ::std::vec::Vec<$repr> = values
                    .iter()
                    .map(|v| <$repr as ::core::convert::From<$t>>::from(::core::clone::Clone::clone(v)))
                    .collect();
                <$repr as $crate::model::resource::FieldType>::json_list(&values)
            }
        });
    };
    // The built-in types add items to `FieldType` (NaN handling, JSON lists for SQLite).
    (@with $t:ty { $($extra:tt)* }) => {
        impl $crate::model::resource::FieldType for $t {
            type Value = $t;
            const NULLABLE: bool = false;
            #[inline]
            fn value(&self) -> ::core::option::Option<&$t> {
                ::core::option::Option::Some(self)
            }
            #[inline]
            fn from_value(value: $t) -> $t {
                value
            }
            $($extra)*
        }
        impl $crate::model::resource::ValueFor<$t> for $t {
            type Captured = $t;
            #[inline]
            fn capture(&self) -> $t {
                ::core::clone::Clone::clone(self)
            }
            #[inline]
            fn to_value(&self) -> ::core::option::Option<$t> {
                ::core::option::Option::Some(::core::clone::Clone::clone(self))
            }
        }
    };
    ($($t:ty),+ $(,)?) => {$(
        $crate::condition_value!(@with $t {});
    )+};
}

/// Integers as a JSON array; `None` when one does not fit SQLite's 64-bit signed integers.
fn json_ints<T: Copy + TryInto<i64>>(values: &[T]) -> Option<String> {
    use std::fmt::Write;
    let mut out = String::with_capacity(2 + values.len() * 8);
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let v: i64 = (*v).try_into().ok()?;
        write!(out, "{v}").ok()?;
    }
    out.push(']');
    Some(out)
}

/// Floats as a JSON array of their exact `f64` values (`{:?}` prints the shortest text that
/// reads back as the same `f64`). JSON has no infinities; SQLite's JSON reader turns the
/// overflowing `9e999` into +∞ (and `-9e999` into -∞), so those stand for them. NaN never
/// reaches here: conditions drop it from lists first.
fn json_floats<T: Copy + Into<f64>>(values: &[T]) -> Option<String> {
    use std::fmt::Write;
    let mut out = String::with_capacity(2 + values.len() * 12);
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        let v: f64 = (*v).into();
        if i > 0 {
            out.push(',');
        }
        if v.is_nan() {
            return None;
        } else if v == f64::INFINITY {
            out.push_str("9e999");
        } else if v == f64::NEG_INFINITY {
            out.push_str("-9e999");
        } else {
            write!(out, "{v:?}").ok()?;
        }
    }
    out.push(']');
    Some(out)
}

macro_rules! int_condition_values {
    ($($t:ty),+) => {$(
        condition_value!(@with $t {
            fn json_list(values: &[$t]) -> Option<String> {
                json_ints(values)
            }
        });
    )+};
}
int_condition_values!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! float_condition_values {
    ($($t:ty),+) => {$(
        condition_value!(@with $t {
            #[inline(always)]
            fn unordered(value: &$t) -> bool {
                value.is_nan()
            }
            const UNORDERED_IN_SQL: bool = true;
            fn json_list(values: &[$t]) -> Option<String> {
                json_floats(values)
            }
        });
    )+};
}
float_condition_values!(f32, f64);

condition_value!(@with String {
    fn json_list(values: &[String]) -> Option<String> {
        // SQLite's JSON functions do not keep a NUL inside a string; bind those one by one.
        if values.iter().any(|v| v.contains('\0')) {
            return None;
        }
        serde_json::to_string(values).ok()
    }
});
condition_value!(bool, char);
