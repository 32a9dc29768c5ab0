//! `policy_table!` fails loudly: a wrong verdict names the deciding rule, a wrong field list
//! shows what was permitted, and a missing, repeated or short line is reported.

use portcullis::testing::{PolicyTable, Verdict};
use portcullis::{Read, Resource, Update, policy, policy_table};

diesel::table! {
    notes (id) {
        id -> BigInt,
        owner_id -> BigInt,
        body -> Text,
    }
}

#[derive(Clone, Resource, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = notes)]
pub struct Note {
    #[expose]
    pub id: i64,
    pub owner_id: i64,
    #[expose]
    pub body: String,
}

pub struct User {
    pub id: i64,
}

#[policy(Note, subject = User)]
pub fn notes(user: &User) {
    allow!(read, update(body) where owner_id == user.id);
}

fn note(id: i64, owner_id: i64) -> Note {
    Note {
        id,
        owner_id,
        body: "text".into(),
    }
}

/// The panic message of `f`, which must panic.
fn failure(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("the table should fail");
    err.downcast_ref::<String>()
        .cloned()
        .unwrap_or_else(|| "<not a string>".into())
}

#[test]
fn a_table_that_holds_passes() {
    policy_table! {
        Note;
        subjects { alice: User { id: 1 } }
        rows { hers: note(1, 1), bobs: note(2, 2) }
        actions [Read, Update];
        alice hers => allow, allow(body);
        alice bobs => deny, deny;
    }
}

#[test]
fn a_wrong_verdict_names_the_rule_that_decided() {
    let msg = failure(|| {
        policy_table! {
            Note;
            subjects { alice: User { id: 1 } }
            rows { hers: note(1, 1), bobs: note(2, 2) }
            actions [Read, Update];
            alice hers => allow, allow(body);
            alice bobs => allow, deny;
        }
    });
    assert!(msg.contains("policy table for Note: 1 problem(s)"), "{msg}");
    assert!(
        msg.contains("alice bobs read: expected allow, got deny"),
        "{msg}"
    );
    assert!(
        msg.contains("read denied (no_grant); allow!(read, update(body) where owner_id == user.id) at runtime/tests/policy_table.rs:"),
        "{msg}"
    );
}

#[test]
fn a_wrong_field_list_shows_the_permitted_fields() {
    let msg = failure(|| {
        policy_table! {
            Note;
            subjects { alice: User { id: 1 } }
            rows { hers: note(1, 1) }
            actions [Update];
            alice hers => allow(id, body);
        }
    });
    assert!(
        msg.contains("alice hers update: expected allow(id, body), got allow(body)"),
        "{msg}"
    );
}

#[test]
fn missing_repeated_and_short_lines_are_reported() {
    let msg = failure(|| {
        let mut table = PolicyTable::<Note>::new();
        let alice = table.subject("alice", &User { id: 1 });
        let bob = table.subject("bob", &User { id: 2 });
        let hers = table.row("hers", note(1, 1));
        table.action::<Read>().action::<Update>();
        table.expect(alice, hers, Vec::new(), 10);
        table.expect(
            alice,
            hers,
            vec![Verdict::Allow(None), Verdict::Allow(None)],
            11,
        );
        let _ = bob;
        table.finish();
    });
    assert!(msg.contains("3 problem(s)"), "{msg}");
    assert!(
        msg.contains("line 10: alice hers: 0 verdicts for 2 actions (read, update)"),
        "{msg}"
    );
    assert!(msg.contains("no line for bob hers"), "{msg}");
    assert!(
        msg.contains("alice hers has several lines: [10, 11]"),
        "{msg}"
    );
}
