//! The documents the benchmarks read: deterministic, real-looking text, inserted in bulk.
//!
//! Document `i` of a tenant gets a unique title (`"Vendor contract review #0412"`: a topic and
//! a kind drawn per document, then the number, so title order is not id order), a body of
//! 220–300 bytes (~250 on average) of business prose from a small vocabulary, is archived
//! when `i % 7 == 6` (1 in 7), has internal notes when `i % 4 == 0`, and is owned by the
//! tenant's admin when `i % 3 == 0`, by its member otherwise.

use std::fmt::Write as _;

/// splitmix64: a tiny deterministic generator (the same data on every run and backend).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[(self.next() % words.len() as u64) as usize]
    }
}

const TOPICS: [&str; 16] = [
    "Quarterly revenue",
    "Vendor contract",
    "Hiring plan",
    "Security incident",
    "Product roadmap",
    "Customer churn",
    "Office move",
    "Budget forecast",
    "Release checklist",
    "Onboarding guide",
    "Pricing experiment",
    "Support backlog",
    "Data retention",
    "Partner program",
    "Infrastructure cost",
    "Board meeting",
];

const KINDS: [&str; 8] = [
    "review", "draft", "notes", "summary", "proposal", "report", "memo", "plan",
];

const SUBJECTS: [&str; 14] = [
    "The finance team",
    "Our largest customer",
    "The platform group",
    "Legal",
    "The new vendor",
    "Marketing",
    "The support desk",
    "Each regional office",
    "The steering committee",
    "Engineering leadership",
    "The audit firm",
    "Procurement",
    "The design team",
    "Sales operations",
];

const VERBS: [&str; 12] = [
    "approved",
    "questioned",
    "postponed",
    "revised",
    "signed off on",
    "asked for details on",
    "reduced",
    "extended",
    "flagged",
    "agreed to fund",
    "rejected",
    "reviewed",
];

const OBJECTS: [&str; 14] = [
    "the renewal terms",
    "the second-quarter targets",
    "the migration timeline",
    "the headcount request",
    "the draft agreement",
    "the incident report",
    "the shipping estimate",
    "the travel policy",
    "the pricing change",
    "the hardware order",
    "the retention schedule",
    "the launch checklist",
    "the training budget",
    "the escalation process",
];

const TAILS: [&str; 12] = [
    "before the end of the month",
    "pending a second opinion",
    "after a long discussion",
    "with two minor changes",
    "until the figures are confirmed",
    "in yesterday's meeting",
    "for the next fiscal year",
    "subject to legal review",
    "as a temporary measure",
    "without further comment",
    "once the invoices arrive",
    "on a trial basis",
];

/// The title of document `i` (unique within a tenant).
pub fn title(tenant: u64, i: usize) -> String {
    let mut rng = Rng::new(tenant.wrapping_mul(1_000_003) ^ i as u64);
    let topic = rng.pick(&TOPICS);
    let kind = rng.pick(&KINDS);
    format!("{topic} {kind} #{i:05}")
}

/// The body of document `i`: sentences until it is at least 220 bytes long.
pub fn body(tenant: u64, i: usize) -> String {
    let mut rng = Rng::new((tenant << 32) ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut text = String::with_capacity(320);
    while text.len() < 220 {
        if !text.is_empty() {
            text.push(' ');
        }
        let _ = write!(
            text,
            "{} {} {} {}.",
            rng.pick(&SUBJECTS),
            rng.pick(&VERBS),
            rng.pick(&OBJECTS),
            rng.pick(&TAILS)
        );
    }
    text
}

/// Whether document `i` is archived (1 in 7).
pub fn archived(i: usize) -> bool {
    i % 7 == 6
}

/// The internal notes of document `i` (every fourth has some).
pub fn notes(i: usize) -> Option<String> {
    i.is_multiple_of(4)
        .then(|| format!("Internal: check figures with finance before sharing ({i})."))
}

/// One tenant of the seed: its id, its member's and its admin's user ids.
#[derive(Debug, Clone, Copy)]
pub struct Tenant {
    pub id: i64,
    pub member: i64,
    pub admin: i64,
}

/// `'text'` as a SQL string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `BEGIN; INSERT .. VALUES (..), (..); ..; COMMIT;` filling every tenant up to `per_tenant`
/// documents, tenant `k` having `have[k]` already (numbered on from there, so titles stay
/// unique), `rows_per_insert` rows a statement. The tenants' documents are interleaved (one
/// of each in turn), as documents created over time by several tenants are: neither tenant's
/// rows are a block of ids. Plain SQL both SQLite and PostgreSQL accept.
pub fn insert_sql(
    tenants: &[(Tenant, usize)],
    per_tenant: usize,
    rows_per_insert: usize,
) -> String {
    let start = tenants
        .iter()
        .map(|(_, have)| *have)
        .min()
        .unwrap_or(per_tenant);
    let rows = (start..per_tenant).flat_map(|i| {
        tenants
            .iter()
            .filter(move |(_, have)| i >= *have)
            .map(move |(t, _)| (*t, i))
    });
    let rows: Vec<(Tenant, usize)> = rows.collect();
    let mut sql = String::with_capacity(rows.len() * 360 + 64);
    sql.push_str("BEGIN;\n");
    for chunk in rows.chunks(rows_per_insert.max(1)) {
        sql.push_str(
            "INSERT INTO documents (tenant_id, owner_id, title, body, archived, internal_notes) VALUES\n",
        );
        for (n, (tenant, i)) in chunk.iter().enumerate() {
            let (t, i) = (tenant.id as u64, *i);
            let owner = if i.is_multiple_of(3) {
                tenant.admin
            } else {
                tenant.member
            };
            let notes = notes(i).map_or_else(|| "NULL".to_owned(), |n| quote(&n));
            let _ = writeln!(
                sql,
                "({}, {owner}, {}, {}, {}, {notes}){}",
                tenant.id,
                quote(&title(t, i)),
                quote(&body(t, i)),
                if archived(i) { "TRUE" } else { "FALSE" },
                if n + 1 == chunk.len() { ";" } else { "," },
            );
        }
    }
    sql.push_str("COMMIT;");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_and_deterministic() {
        let lengths: Vec<usize> = (0..1000).map(|i| body(1, i).len()).collect();
        let mean = lengths.iter().sum::<usize>() as f64 / lengths.len() as f64;
        assert!((220..=330).contains(lengths.iter().max().unwrap()));
        assert!((235.0..=275.0).contains(&mean), "mean body length {mean}");
        assert_eq!(body(1, 7), body(1, 7));
        assert_ne!(body(1, 7), body(2, 7));
        let titles: std::collections::HashSet<_> = (0..5000).map(|i| title(1, i)).collect();
        assert_eq!(titles.len(), 5000);
        assert_eq!((0..7000).filter(|i| archived(*i)).count(), 1000);
    }

    #[test]
    fn bulk_sql() {
        let a = Tenant {
            id: 1,
            member: 2,
            admin: 3,
        };
        let b = Tenant {
            id: 2,
            member: 4,
            admin: 5,
        };
        // 3 rows for a (2..5), 4 for b (1..5), interleaved, 2 a statement.
        let sql = insert_sql(&[(a, 2), (b, 1)], 5, 2);
        assert_eq!(sql.matches("INSERT INTO").count(), 4);
        assert!(sql.starts_with("BEGIN;") && sql.ends_with("COMMIT;"));
        let firsts: Vec<&str> = sql
            .lines()
            .filter(|l| l.starts_with('('))
            .map(|l| &l[..4])
            .collect();
        assert_eq!(
            firsts,
            ["(2, ", "(1, ", "(2, ", "(1, ", "(2, ", "(1, ", "(2, "]
        );
    }
}
