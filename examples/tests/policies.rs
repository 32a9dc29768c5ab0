//! The example's policies as tables: every subject × row pair, every action, the fields each
//! allow permits. A changed rule fails here with the rule that decided.

use portcullis::{Create, Delete, Read, Update, policy_table};
use portcullis_example::User;
use portcullis_example::model::{Account, Archive, Comment, Document};

const ALICE: User = User {
    id: 1,
    tenant_id: 10,
    admin: false,
};
/// An admin of alice's tenant.
const CAROL: User = User {
    id: 2,
    tenant_id: 10,
    admin: true,
};
/// An admin of another tenant.
const MALLORY: User = User {
    id: 3,
    tenant_id: 20,
    admin: true,
};

fn document(id: i64, tenant_id: i64, owner_id: i64, archived: bool) -> Document {
    Document {
        id,
        tenant_id,
        owner_id,
        title: format!("Document {id}"),
        body: "Quarterly numbers, the long version.".repeat(20),
        archived,
        internal_notes: Some("not for clients".into()),
    }
}

#[test]
fn documents() {
    policy_table! {
        Document;
        subjects { alice: ALICE, carol: CAROL, mallory: MALLORY }
        rows {
            alices: document(1, 10, 1, false),
            carols: document(2, 10, 2, false),
            archived: document(3, 10, 1, true),
            foreign: document(4, 20, 4, false),
        }
        actions [Read, Create, Update, Delete, Archive];
        // An archived document shows its metadata only, cannot be updated or archived again,
        // and can still be deleted by whoever could delete it before.
        alice   alices   => allow, allow(title, body), allow(title, body), allow, allow;
        alice   carols   => allow, deny, deny, deny, deny;
        alice   archived => allow(id, tenant_id, owner_id, title, archived),
                            allow(title, body), deny, allow, deny;
        alice   foreign  => deny, deny, deny, deny, deny;
        // An admin edits, archives and deletes anything in the tenant, but creates only as
        // themself.
        carol   alices   => allow, deny, allow(title, body), allow, allow;
        carol   carols   => allow, allow(title, body), allow(title, body), allow, allow;
        carol   archived => allow(id, tenant_id, owner_id, title, archived),
                            deny, deny, allow, deny;
        carol   foreign  => deny, deny, deny, deny, deny;
        // Being an admin elsewhere grants nothing here.
        mallory alices   => deny, deny, deny, deny, deny;
        mallory carols   => deny, deny, deny, deny, deny;
        mallory archived => deny, deny, deny, deny, deny;
        mallory foreign  => allow, deny, allow(title, body), allow, allow;
    }
}

#[test]
fn comments() {
    let comment = |id, tenant_id, author_id| Comment {
        id,
        tenant_id,
        document_id: 1,
        author_id,
        body: "Looks right to me.".into(),
    };
    policy_table! {
        Comment;
        subjects { alice: ALICE, carol: CAROL, mallory: MALLORY }
        rows { alices: comment(1, 10, 1), carols: comment(2, 10, 2), foreign: comment(3, 20, 3) }
        actions [Read, Create];
        alice   alices  => allow, allow(document_id, body);
        alice   carols  => allow, deny;
        alice   foreign => deny, deny;
        carol   alices  => allow, deny;
        carol   carols  => allow, allow(document_id, body);
        carol   foreign => deny, deny;
        mallory alices  => deny, deny;
        mallory carols  => deny, deny;
        mallory foreign => allow, allow(document_id, body);
    }
}

#[test]
fn accounts() {
    let account = |id, tenant_id| Account {
        id,
        tenant_id,
        email: format!("user{id}@example.com"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        role: "member".into(),
    };
    policy_table! {
        Account;
        subjects { alice: ALICE, carol: CAROL, mallory: MALLORY }
        rows { alice_account: account(1, 10), carol_account: account(2, 10), mallory_account: account(3, 20) }
        actions [Read];
        // Everyone reads their own account; an admin reads the tenant's.
        alice   alice_account   => allow;
        alice   carol_account   => deny;
        alice   mallory_account => deny;
        carol   alice_account   => allow;
        carol   carol_account   => allow;
        carol   mallory_account => deny;
        mallory alice_account   => deny;
        mallory carol_account   => deny;
        mallory mallory_account => allow;
    }
}
