//! The validated model of a `#[derive(Resource)]` input (built by `valid`, read by `expand`).

use syn::{Ident, Path, Type};

pub struct Resource {
    pub ident: Ident,
    pub vis: syn::Visibility,
    /// The diesel table module (`documents` or `crate::schema::documents`).
    pub table: Path,
    pub conceal: bool,
    pub fields: Vec<Field>,
    /// Index of the primary-key field.
    pub pk: usize,
    /// `#[portcullis(crate = "..")]`: where portcullis is reachable.
    pub krate: Option<Path>,
}

pub struct Field {
    pub ident: Ident,
    pub ty: Type,
    pub column: Ident,
    pub json: String,
    pub exposed: bool,
    pub skip_if_none: bool,
    pub nullable: bool,
    pub default: bool,
}

pub fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}
