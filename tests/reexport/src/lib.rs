//! A crate that reaches portcullis only through a re-export, as a framework built on it would
//! hand it to its users: the dependency is renamed (`pc`), so `::portcullis` names nothing
//! here and every macro must follow its `crate = ".."` override to compile.

/// The re-exporting "framework".
pub mod framework {
    pub use ::pc as portcullis;
}

use crate::framework::portcullis::{Action, Resource, guarded, policy};

diesel::table! {
    docs (id) {
        id -> BigInt,
        owner_id -> BigInt,
        title -> Text,
    }
}

/// A resource derived through the re-export.
#[derive(Debug, Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = docs)]
#[portcullis(crate = "crate::framework::portcullis")]
pub struct Doc {
    #[expose]
    pub id: i64,
    pub owner_id: i64,
    #[expose]
    pub title: String,
}

/// A custom action derived through the re-export.
#[derive(Action)]
#[portcullis(crate = "crate::framework::portcullis")]
pub struct Publish;

/// Who asks.
pub struct User {
    pub id: i64,
}

/// A policy generated through the re-export.
#[policy(Doc, subject = User, crate = "crate::framework::portcullis")]
pub fn doc_policy(user: &User) {
    allow!(read, Publish where owner_id == user.id);
}

/// A handler guarded through the re-export.
#[guarded(public, crate = "crate::framework::portcullis")]
pub async fn hello() -> &'static str {
    "hello"
}

/// The handler's route, which needs the generated `Guarded` impl.
pub fn routes() -> crate::framework::portcullis::routing::MethodRouter {
    crate::framework::portcullis::routing::get(hello)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::portcullis::{Policy, Read};

    fn doc(owner_id: i64) -> Doc {
        Doc {
            id: 1,
            owner_id,
            title: "t".into(),
        }
    }

    #[test]
    fn the_policy_generated_through_the_reexport_decides() {
        let ability = doc_policy(&User { id: 7 });
        assert!(ability.can::<Read>(&doc(7)));
        assert!(ability.can::<Publish>(&doc(7)));
        assert!(!ability.can::<Read>(&doc(8)));
        let dynamic = <Doc as Policy>::ability(&User { id: 8 });
        assert!(dynamic.can::<Publish>(&doc(8)));
    }

    #[test]
    fn the_resource_derived_through_the_reexport_names_its_fields() {
        use crate::framework::portcullis::Resource as _;
        assert_eq!(Doc::NAME, "Doc");
        assert_eq!(Doc::JSON_NAMES, ["id", "owner_id", "title"]);
        assert_eq!(
            <Publish as crate::framework::portcullis::Action>::NAME,
            "publish"
        );
    }

    #[tokio::test]
    async fn the_guarded_handler_runs_and_routes() {
        assert_eq!(hello::call().await, "hello");
        let _ = routes();
    }
}
