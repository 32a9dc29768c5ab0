//! The escape hatches taken in this process, for the posture table: each named hatch with the
//! reasons given and how often each was used. Every hatch takes a reason and logs each use
//! where it is taken; this module only keeps the count.

use std::fmt;
use std::sync::Mutex;

/// A named way around a promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hatch {
    /// `Pool::unscoped` / `Db::unscoped`: raw database access without a scope.
    UnscopedDatabase,
    /// `App::into_unguarded_router`: a plain `axum::Router` routes can be added to unguarded.
    UnguardedRouter,
}

impl Hatch {
    fn title(self) -> &'static str {
        match self {
            Hatch::UnscopedDatabase => "unscoped database access",
            Hatch::UnguardedRouter => "unguarded axum::Router",
        }
    }
}

static USES: Mutex<Vec<(Hatch, &'static str, u64)>> = Mutex::new(Vec::new());

/// Counts one use of `hatch` for `reason`.
pub(crate) fn record(hatch: Hatch, reason: &'static str) {
    let mut uses = USES.lock().unwrap_or_else(|e| e.into_inner());
    match uses
        .iter_mut()
        .find(|(h, r, _)| *h == hatch && *r == reason)
    {
        Some((_, _, n)) => *n += 1,
        None => uses.push((hatch, reason, 1)),
    }
}

/// Every escape hatch used so far in this process: (hatch, reason, uses), in first-use order.
///
/// ```
/// for (hatch, reason, uses) in portcullis::escape::uses() {
///     println!("{hatch:?}: {reason} ({uses}x)");
/// }
/// ```
pub fn uses() -> Vec<(Hatch, &'static str, u64)> {
    USES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The posture table's tail: one section per hatch used, with its reasons and counts.
pub(crate) fn write_table(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let uses = uses();
    for hatch in [Hatch::UnscopedDatabase, Hatch::UnguardedRouter] {
        let mut first = true;
        for (_, reason, n) in uses.iter().filter(|(h, _, _)| *h == hatch) {
            if first {
                writeln!(f, "{} (reason: uses so far):", hatch.title())?;
                first = false;
            }
            writeln!(f, "  {reason}: {n}")?;
        }
    }
    Ok(())
}
