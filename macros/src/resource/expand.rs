//! Code generation for `#[derive(Resource)]`: `quote!` only, every decision was made in `ast`.

use super::ast::{Field, Resource};
use crate::door::Door;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

/// Nests a list of expressions in tuples of at most 16 (diesel implements changesets and
/// insertables for tuples up to 32 by default, and for tuples of them).
fn nested_tuple(items: Vec<TokenStream>) -> TokenStream {
    if items.len() <= 16 {
        return quote!((#(#items,)*));
    }
    let chunks: Vec<TokenStream> = items.chunks(16).map(|c| nested_tuple(c.to_vec())).collect();
    nested_tuple(chunks)
}

pub fn expand(r: &Resource) -> TokenStream {
    let p = Door::new(r.krate.as_ref());
    let version = p.version_check();
    let ident = &r.ident;
    let vis = &r.vis;
    let table = &r.table;
    let name = ident.to_string();
    let fields_ty = format_ident!("{}Fields", ident);
    let columns_ty = format_ident!("{}Columns", ident);
    let patch_ty = format_ident!("{}Patch", ident);
    let create_ty = format_ident!("{}Create", ident);
    let conceal = r.conceal;
    let pk = &r.fields[r.pk];
    let pk_ident = &pk.ident;
    let pk_ty = &pk.ty;
    let pk_index = r.pk as u8;

    let idents: Vec<&Ident> = r.fields.iter().map(|f| &f.ident).collect();
    let tys: Vec<&syn::Type> = r.fields.iter().map(|f| &f.ty).collect();
    let columns: Vec<&Ident> = r.fields.iter().map(|f| &f.column).collect();
    let indices: Vec<u8> = (0..r.fields.len() as u8).collect();
    let indices_usize: Vec<usize> = (0..r.fields.len()).collect();
    let json_names: Vec<&str> = r.fields.iter().map(|f| f.json.as_str()).collect();
    let rust_names: Vec<String> = r.fields.iter().map(|f| f.ident.to_string()).collect();
    let exposed_bits: u64 = r
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.exposed)
        .fold(0, |acc, (i, _)| acc | (1u64 << i));

    // Non-key fields: what patches and create inputs carry.
    let data: Vec<(usize, &Field)> = r
        .fields
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != r.pk)
        .collect();
    let data_idents: Vec<&Ident> = data.iter().map(|(_, f)| &f.ident).collect();
    let data_tys: Vec<&syn::Type> = data.iter().map(|(_, f)| &f.ty).collect();

    let serialize_fields = r
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.exposed)
        .map(|(i, f)| {
            let fi = &f.ident;
            let json = &f.json;
            let present = if f.skip_if_none {
                quote!(&& self.#fi.is_some())
            } else {
                quote!()
            };
            quote! {
                if fields.contains_index(#i) #present {
                    #p::serde::ser::SerializeStruct::serialize_field(s, #json, &self.#fi)?;
                }
            }
        });
    let serialized_len = r
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.exposed)
        .map(|(i, f)| {
            let fi = &f.ident;
            let present = if f.skip_if_none {
                quote!(&& self.#fi.is_some())
            } else {
                quote!()
            };
            quote!(n += (fields.contains_index(#i) #present) as usize;)
        });

    let setter = |target: &Ident| {
        let arms = data.iter().map(|(i, f)| {
            let fi = &f.ident;
            let ty = &f.ty;
            let json = &f.json;
            let i = *i as u8;
            quote! {
                #json => match #p::serde_json::from_value::<#ty>(__portcullis_value) {
                    ::core::result::Result::Ok(__portcullis_v) => {
                        #target.#fi = ::core::option::Option::Some(__portcullis_v);
                        #p::SetField::Set(#p::Field::__new(#i))
                    }
                    ::core::result::Result::Err(__portcullis_e) => #p::SetField::Invalid(#p::Field::__new(#i), __portcullis_e.to_string()),
                },
            }
        });
        let pk_json = &pk.json;
        quote! {
            match __portcullis_name {
                #(#arms)*
                #pk_json => #p::SetField::ReadOnly(#p::Field::__new(#pk_index)),
                _ => #p::SetField::Unknown,
            }
        }
    };
    let patch_set = setter(&format_ident!("__portcullis_patch"));
    let create_set = setter(&format_ident!("__portcullis_input"));

    // `__candidate`: required fields are those neither `Option` nor `#[resource(default)]`.
    // Generated locals carry a `__portcullis_` prefix so no user field name can clash with them.
    let input = format_ident!("__portcullis_input");
    let mut required = Vec::new();
    let candidate_fields = data
        .iter()
        .map(|(_, f)| {
            let fi = &f.ident;
            if f.nullable || f.default {
                quote!(#fi: ::core::clone::Clone::clone(&#input.#fi).unwrap_or_default(),)
            } else {
                required.push(f);
                let local = format_ident!("__portcullis_f_{}", fi);
                quote!(#fi: #local,)
            }
        })
        .collect::<Vec<_>>();
    let req_idents: Vec<&Ident> = required.iter().map(|f| &f.ident).collect();
    let req_locals: Vec<Ident> = required
        .iter()
        .map(|f| format_ident!("__portcullis_f_{}", f.ident))
        .collect();
    let req_json: Vec<&str> = required.iter().map(|f| f.json.as_str()).collect();
    let candidate = if required.is_empty() {
        quote! {
            let _ = &#input;
            ::core::result::Result::Ok(#ident {
                #pk_ident: ::core::default::Default::default(),
                #(#candidate_fields)*
            })
        }
    } else {
        quote! {
        #(
            let #req_locals = ::core::clone::Clone::clone(&#input.#req_idents);
        )*
        let mut __portcullis_missing = ::std::vec::Vec::new();
        #( if #req_locals.is_none() { __portcullis_missing.push(#req_json); } )*
        let ( #( ::core::option::Option::Some(#req_locals), )* ) = ( #( #req_locals, )* ) else {
            return ::core::result::Result::Err(__portcullis_missing);
        };
        ::core::result::Result::Ok(#ident {
            #pk_ident: ::core::default::Default::default(),
            #(#candidate_fields)*
        })
        }
    };

    let changes = nested_tuple(
        data.iter()
            .map(|(_, f)| {
                let fi = &f.ident;
                let col = &f.column;
                quote!(patch.#fi.map(|__portcullis_v| #table::#col.eq(__portcullis_v)))
            })
            .collect(),
    );
    let values = nested_tuple(
        data.iter()
            .map(|(_, f)| {
                let fi = &f.ident;
                let col = &f.column;
                quote!(#table::#col.eq(row.#fi))
            })
            .collect(),
    );
    let order_arms = r.fields.iter().enumerate().map(|(i, f)| {
        let col = &f.column;
        quote! {
            (#i, false) => query.then_order_by(#table::#col.asc()),
            (#i, true) => query.then_order_by(#table::#col.desc()),
        }
    });
    let pk_col = &pk.column;
    let key_arms: Vec<TokenStream> = r
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let col = &f.column;
            let ty = &f.ty;
            quote! {
                #i => {
                    let v: #ty = (&#p::CursorProbe::<#ty>::NEW).decode(value)?;
                    ::core::option::Option::Some(match op {
                        #p::KeyOp::Eq => #p::two_valued(#table::#col.eq(v)),
                        #p::KeyOp::Gt => #p::two_valued(#table::#col.gt(v)),
                        #p::KeyOp::Lt => #p::two_valued(#table::#col.lt(v)),
                    })
                }
            }
        })
        .collect();
    let cursor_arms = r.fields.iter().enumerate().map(|(i, f)| {
        let fi = &f.ident;
        let ty = &f.ty;
        quote!(#i => (&#p::CursorProbe::<#ty>::NEW).encode(&self.#fi),)
    });

    let backend_ops = |db: TokenStream, conn: TokenStream| {
        let order_arms = order_arms.clone();
        // A resource whose only field is its key has nothing to set or insert: an update is
        // the scoped read of the row, an insert is `DEFAULT VALUES`.
        let update_body = if data.is_empty() {
            quote! {
                let _ = patch;
                let query = #table::table
                    .filter(#table::#pk_col.eq(id))
                    .filter(scope)
                    .select(<#ident as #p::diesel::SelectableHelper<#db>>::as_select());
                #p::diesel_async::RunQueryDsl::first::<#ident>(query, conn).await.optional()
            }
        } else {
            quote! {
                let query = #p::diesel::update(#table::table.filter(#table::#pk_col.eq(id)).filter(scope))
                    .set(#changes)
                    .returning(<#ident as #p::diesel::SelectableHelper<#db>>::as_returning());
                #p::diesel_async::RunQueryDsl::get_result::<#ident>(query, conn).await.optional()
            }
        };
        let insert_body = if data.is_empty() {
            quote! {
                let _ = row;
                let query = #p::diesel::insert_into(#table::table)
                    .default_values()
                    .returning(<#ident as #p::diesel::SelectableHelper<#db>>::as_returning());
                #p::diesel_async::RunQueryDsl::get_result::<#ident>(query, conn).await
            }
        } else {
            quote! {
                let query = #p::diesel::insert_into(#table::table)
                    .values(#values)
                    .returning(<#ident as #p::diesel::SelectableHelper<#db>>::as_returning());
                #p::diesel_async::RunQueryDsl::get_result::<#ident>(query, conn).await
            }
        };
        quote! {
            impl #p::BackendOps<#db> for #ident {
                type Conn = #conn;

                fn load<'c>(conn: &'c mut Self::Conn, q: #p::QuerySpec<Self, #db>)
                    -> #p::BoxFuture<'c, #p::diesel::QueryResult<::std::vec::Vec<Self>>>
                {
                    // Only query-building traits: the user's module may import diesel's own
                    // `RunQueryDsl` (diesel's prelude does), so the async calls are qualified.
                    use #p::diesel::{BoolExpressionMethods as _, ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _};
                    ::std::boxed::Box::pin(async move {
                        let mut query = #table::table
                            .select(<#ident as #p::diesel::SelectableHelper<#db>>::as_select())
                            .into_boxed::<#db>()
                            .filter(q.filter);
                        for o in q.order {
                            query = match (o.field.index(), o.descending) {
                                #(#order_arms)*
                                _ => query,
                            };
                        }
                        if let ::core::option::Option::Some(n) = q.limit {
                            query = query.limit(n);
                        }
                        if let ::core::option::Option::Some(n) = q.offset {
                            query = query.offset(n);
                        }
                        #p::diesel_async::RunQueryDsl::load::<#ident>(query, conn).await
                    })
                }

                fn count<'c>(conn: &'c mut Self::Conn, filter: #p::BoxedFilter<#table::table, #db>)
                    -> #p::BoxFuture<'c, #p::diesel::QueryResult<i64>>
                {
                    // Only query-building traits: the user's module may import diesel's own
                    // `RunQueryDsl` (diesel's prelude does), so the async calls are qualified.
                    use #p::diesel::{BoolExpressionMethods as _, ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _};
                    ::std::boxed::Box::pin(async move {
                        #p::diesel_async::RunQueryDsl::get_result::<i64>(#table::table.filter(filter).count(), conn).await
                    })
                }

                fn count_up_to<'c>(conn: &'c mut Self::Conn, filter: #p::BoxedFilter<#table::table, #db>, cap: i64)
                    -> #p::BoxFuture<'c, #p::diesel::QueryResult<i64>>
                {
                    use #p::diesel::QueryDsl as _;
                    ::std::boxed::Box::pin(async move {
                        let capped = #table::table.select(#table::#pk_col).filter(filter).limit(cap);
                        #p::diesel_async::RunQueryDsl::get_result::<i64>(#p::CountOf(capped), conn).await
                    })
                }

                fn key_filter(field: usize, op: #p::KeyOp, value: &#p::serde_json::Value)
                    -> ::core::option::Option<#p::BoxedFilter<#table::table, #db>>
                {
                    use #p::diesel::ExpressionMethods as _;
                    #[allow(unused_imports)]
                    use #p::{CursorSupported as _, CursorUnsupported as _};
                    match field {
                        #(#key_arms)*
                        _ => ::core::option::Option::None,
                    }
                }

                fn find_in_scope<'c>(conn: &'c mut Self::Conn, id: #pk_ty, scope: #p::BoxedFilter<#table::table, #db>)
                    -> #p::BoxFuture<'c, #p::diesel::QueryResult<::core::option::Option<(Self, bool)>>>
                {
                    // Only query-building traits: the user's module may import diesel's own
                    // `RunQueryDsl` (diesel's prelude does), so the async calls are qualified.
                    use #p::diesel::{BoolExpressionMethods as _, ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _};
                    ::std::boxed::Box::pin(async move {
                        let query = #table::table
                            .filter(#table::#pk_col.eq(id))
                            .select((<#ident as #p::diesel::SelectableHelper<#db>>::as_select(), scope));
                        #p::diesel_async::RunQueryDsl::first::<(#ident, bool)>(query, conn).await.optional()
                    })
                }

                fn update_in_scope<'c>(conn: &'c mut Self::Conn, id: #pk_ty, scope: #p::BoxedFilter<#table::table, #db>, patch: #patch_ty)
                    -> #p::BoxFuture<'c, #p::diesel::QueryResult<::core::option::Option<Self>>>
                {
                    // Only query-building traits: the user's module may import diesel's own
                    // `RunQueryDsl` (diesel's prelude does), so the async calls are qualified.
                    use #p::diesel::{BoolExpressionMethods as _, ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _};
                    ::std::boxed::Box::pin(async move {
                        #update_body
                    })
                }

                fn delete_in_scope<'c>(conn: &'c mut Self::Conn, id: #pk_ty, scope: #p::BoxedFilter<#table::table, #db>)
                    -> #p::BoxFuture<'c, #p::diesel::QueryResult<usize>>
                {
                    // Only query-building traits: the user's module may import diesel's own
                    // `RunQueryDsl` (diesel's prelude does), so the async calls are qualified.
                    use #p::diesel::{BoolExpressionMethods as _, ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _};
                    ::std::boxed::Box::pin(async move {
                        let query = #p::diesel::delete(#table::table.filter(#table::#pk_col.eq(id)).filter(scope));
                        #p::diesel_async::RunQueryDsl::execute(query, conn).await
                    })
                }

                fn insert<'c>(conn: &'c mut Self::Conn, row: Self)
                    -> #p::BoxFuture<'c, #p::diesel::QueryResult<Self>>
                {
                    // Only query-building traits: the user's module may import diesel's own
                    // `RunQueryDsl` (diesel's prelude does), so the async calls are qualified.
                    use #p::diesel::{BoolExpressionMethods as _, ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _};
                    ::std::boxed::Box::pin(async move {
                        #insert_body
                    })
                }
            }
        }
    };
    let sqlite_ops = backend_ops(quote!(#p::Sqlite), quote!(#p::SqliteConnection));
    let pg_ops = backend_ops(quote!(#p::Pg), quote!(#p::PgConnection));

    let doc_fields = format!("Field handles of [`{name}`] for compile-checked names.");
    quote! {
        #[doc(hidden)]
        const _: () = {
            #version

            #[doc = #doc_fields]
            #[allow(non_snake_case, dead_code)]
            #vis struct #fields_ty {
                #( pub #idents: #p::Field<#ident>, )*
            }

            #[doc(hidden)]
            #[allow(non_snake_case, dead_code)]
            #vis struct #columns_ty {
                #( pub #idents: #p::Col<#table::#columns, #tys, #ident, #indices_usize>, )*
            }

            #[doc(hidden)]
            #[derive(::core::default::Default)]
            #[allow(non_snake_case, dead_code)]
            #vis struct #patch_ty {
                #( pub #data_idents: ::core::option::Option<#data_tys>, )*
            }

            #[doc(hidden)]
            #[derive(::core::default::Default, ::core::clone::Clone)]
            #[allow(non_snake_case, dead_code)]
            #vis struct #create_ty {
                #( pub #idents: ::core::option::Option<#tys>, )*
            }

            #[automatically_derived]
            impl #p::Resource for #ident {
                type Table = #table::table;
                type Fields = #fields_ty;
                type Columns = #columns_ty;
                type Patch = #patch_ty;
                type Create = #create_ty;
                type Id = #pk_ty;
                const NAME: &'static str = #name;
                const JSON_NAMES: &'static [&'static str] = &[#(#json_names),*];
                const RUST_NAMES: &'static [&'static str] = &[#(#rust_names),*];
                const EXPOSED: #p::FieldSet<Self> = #p::FieldSet::from_bits(#exposed_bits);
                const PRIMARY_KEY: #p::Field<Self> = #p::Field::__new(#pk_index);
                const CONCEAL: bool = #conceal;
                const FIELDS: #fields_ty = #fields_ty { #( #idents: #p::Field::__new(#indices), )* };
                const COLUMNS: #columns_ty = #columns_ty { #( #idents: #p::Col::__new(), )* };

                #[inline]
                fn id(&self) -> &#pk_ty {
                    &self.#pk_ident
                }

                #[inline]
                fn serialize_fields<S: #p::serde::ser::SerializeStruct>(
                    &self,
                    fields: #p::FieldSet<Self>,
                    s: &mut S,
                ) -> ::core::result::Result<(), S::Error> {
                    #(#serialize_fields)*
                    ::core::result::Result::Ok(())
                }

                #[inline]
                fn serialized_len(&self, fields: #p::FieldSet<Self>) -> usize {
                    let mut n = 0usize;
                    #(#serialized_len)*
                    n
                }

                fn __patch_set(__portcullis_patch: &mut #patch_ty, __portcullis_name: &str, __portcullis_value: #p::serde_json::Value) -> #p::SetField<Self> {
                    #patch_set
                }

                fn __create_set(__portcullis_input: &mut #create_ty, __portcullis_name: &str, __portcullis_value: #p::serde_json::Value) -> #p::SetField<Self> {
                    #create_set
                }

                fn __candidate(#input: &#create_ty) -> ::core::result::Result<Self, ::std::vec::Vec<&'static str>> {
                    #candidate
                }

                fn __cursor_value(&self, field: usize) -> ::core::option::Option<#p::serde_json::Value> {
                    #[allow(unused_imports)]
                    use #p::{CursorSupported as _, CursorUnsupported as _};
                    match field {
                        #(#cursor_arms)*
                        _ => ::core::option::Option::None,
                    }
                }
            }

            #(
                #[automatically_derived]
                impl #p::FieldAt<#indices_usize> for #ident {
                    type Ty = #tys;
                    #[inline(always)]
                    fn field_at(&self) -> &#tys {
                        &self.#idents
                    }
                }
            )*

            // Serializing the entity directly must fail with advice to shape it. The bound names
            // a lifetime so it is checked at use, not here; it never holds. Should anyone force
            // it, the impl still writes only exposed fields.
            #[automatically_derived]
            impl<'__portcullis> #p::serde::Serialize for #ident
            where
                &'__portcullis (): #p::SerializeThroughShaped<#ident>,
            {
                fn serialize<__S: #p::serde::Serializer>(&self, s: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                    let fields = <Self as #p::Resource>::EXPOSED;
                    let mut st = #p::serde::Serializer::serialize_struct(s, #name, #p::Resource::serialized_len(self, fields))?;
                    #p::Resource::serialize_fields(self, fields, &mut st)?;
                    #p::serde::ser::SerializeStruct::end(st)
                }
            }

            #p::if_sqlite!({ #sqlite_ops } else {});
            #p::if_postgres!({ #pg_ops } else {});
        };
    }
}
