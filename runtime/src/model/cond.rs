//! Condition trees and the simplifier between a rule set and its SQL.
//!
//! Every rule's condition reaches the runtime as a [`Cond`] whose leaves carry a [`LeafKey`]:
//! the field, the comparison and the value compared with. Equal keys mean equal SQL meaning, so
//! the simplifier can treat leaves as Boolean variables. It applies only identities of
//! two-valued logic (every leaf's SQL is two-valued: comparisons on nullable columns are wrapped
//! in `COALESCE(.., FALSE)`), so a simplified tree selects exactly the rows of the original:
//!
//! - `TRUE`/`FALSE` propagate, `NOT NOT x` is `x`, nested `AND`s and `OR`s flatten;
//! - duplicate terms go, `x AND NOT x` is `FALSE`, `x OR NOT x` is `TRUE`;
//! - absorption: `a OR (a AND b)` is `a`;
//! - complements: `(a AND b) OR (a AND NOT b)` is `a`;
//! - common conjuncts leave an `OR`: `(a AND b) OR (a AND c)` is `a AND (b OR c)`.
//!
//! The last two are what let an index serve a policy: the example's two read rules
//! `(tenant_id = ? AND NOT archived) OR (tenant_id = ? AND archived)` become `tenant_id = ?`.
//!
//! ```
//! use portcullis::cond::{Cond, LeafKey, LeafOp};
//!
//! // Leaves keyed as `tenant_id == 7` (field 1) and `archived` (field 5).
//! let tenant = || Cond::Leaf(LeafKey::new(1, LeafOp::Eq, Some(7i64)));
//! let archived = || Cond::Leaf(LeafKey::new(5, LeafOp::Flag, None::<()>));
//! let rules = Cond::Or(vec![
//!     Cond::And(vec![tenant(), Cond::Not(Box::new(archived()))]),
//!     Cond::And(vec![tenant(), archived()]),
//! ]);
//! let simple = rules.simplify();
//! assert!(simple.same(&tenant()));
//! ```

use std::any::Any;
use std::fmt;

/// What a leaf tests about its field.
///
/// # Examples
///
/// ```
/// use portcullis::cond::{LeafKey, LeafOp};
///
/// // `owner_id < 10` and `owner_id <= 9` are different tests to the simplifier.
/// let lt = LeafKey::new(2, LeafOp::Lt, Some(10i64));
/// assert!(!lt.same(&LeafKey::new(2, LeafOp::Le, Some(9i64))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeafOp {
    /// `field == value`
    Eq,
    /// `field != value`
    Ne,
    /// `field < value`
    Lt,
    /// `field <= value`
    Le,
    /// `field > value`
    Gt,
    /// `field >= value`
    Ge,
    /// `field in list`
    In,
    /// A bool field as a whole condition (`archived`).
    Flag,
    /// `field.is_none()`
    IsNone,
    /// `field.is_some()`
    IsSome,
}

/// A value in a leaf key, compared by `PartialEq` (so `NaN` never equals itself, and a leaf
/// comparing with `NaN` is never merged with another: missing a simplification is safe).
trait KeyValue: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn same(&self, other: &dyn KeyValue) -> bool;
}

impl<T: PartialEq + Send + Sync + 'static> KeyValue for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn same(&self, other: &dyn KeyValue) -> bool {
        other
            .as_any()
            .downcast_ref::<T>()
            .is_some_and(|o| o == self)
    }
}

/// The identity of a leaf: two leaves with equal keys select the same rows.
///
/// # Examples
///
/// ```
/// use portcullis::cond::{LeafKey, LeafOp};
///
/// let a = LeafKey::new(1, LeafOp::Eq, Some(7i64));
/// assert!(a.same(&LeafKey::new(1, LeafOp::Eq, Some(7i64))));
/// assert!(!a.same(&LeafKey::new(1, LeafOp::Eq, Some(7i32)))); // another type: another value
/// assert_eq!(format!("{a:?}"), "#1 Eq <value>");
/// ```
pub struct LeafKey {
    field: usize,
    op: LeafOp,
    value: Option<Box<dyn KeyValue>>,
}

impl LeafKey {
    /// A key for field number `field` (declaration order), compared by `op` with `value`
    /// (`None` for `Flag`, `IsNone`, `IsSome`).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::cond::{LeafKey, LeafOp};
    ///
    /// let archived = LeafKey::new(4, LeafOp::Flag, None::<()>);
    /// let tenant = LeafKey::new(1, LeafOp::Eq, Some(7i64));
    /// assert!(!archived.same(&tenant));
    /// ```
    pub fn new<V: PartialEq + Send + Sync + 'static>(
        field: usize,
        op: LeafOp,
        value: Option<V>,
    ) -> Self {
        Self {
            field,
            op,
            value: value.map(|v| Box::new(v) as Box<dyn KeyValue>),
        }
    }

    /// Whether both keys name the same test.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::cond::{LeafKey, LeafOp};
    ///
    /// let nan = || LeafKey::new(0, LeafOp::Eq, Some(f64::NAN));
    /// assert!(!nan().same(&nan())); // NaN never equals itself: never merged
    /// ```
    pub fn same(&self, other: &LeafKey) -> bool {
        self.field == other.field
            && self.op == other.op
            && match (&self.value, &other.value) {
                (None, None) => true,
                (Some(a), Some(b)) => a.same(&**b),
                _ => false,
            }
    }
}

impl fmt::Debug for LeafKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} {:?}", self.field, self.op)?;
        if self.value.is_some() {
            f.write_str(" <value>")?;
        }
        Ok(())
    }
}

/// A leaf the simplifier can compare with others.
///
/// # Examples
///
/// ```
/// use portcullis::cond::{Cond, Keyed, LeafKey, LeafOp};
///
/// // A leaf carrying its SQL text beside its key.
/// struct Sql(&'static str, LeafKey);
/// impl Keyed for Sql {
///     fn key(&self) -> Option<&LeafKey> {
///         Some(&self.1)
///     }
/// }
/// let a = || Cond::Leaf(Sql("a = 1", LeafKey::new(0, LeafOp::Eq, Some(1i64))));
/// assert!(Cond::Or(vec![a(), a()]).simplify().same(&a()));
/// ```
pub trait Keyed {
    /// The leaf's identity; `None` makes the leaf distinct from every other (never merged).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::cond::{Keyed, LeafKey, LeafOp};
    ///
    /// let k = LeafKey::new(0, LeafOp::IsNone, None::<()>);
    /// assert!(k.key().is_some());
    /// ```
    fn key(&self) -> Option<&LeafKey>;
}

impl Keyed for LeafKey {
    fn key(&self) -> Option<&LeafKey> {
        Some(self)
    }
}

/// A Boolean condition over leaves `L`.
///
/// # Examples
///
/// ```
/// use portcullis::cond::Cond;
///
/// let c: Cond<bool> = Cond::And(vec![Cond::Leaf(true), Cond::Not(Box::new(Cond::Leaf(false)))]);
/// assert!(c.eval(&mut |leaf| *leaf));
/// assert_eq!(c.leaves(), 2);
/// ```
#[derive(Debug)]
pub enum Cond<L> {
    /// Always true.
    True,
    /// Always false.
    False,
    /// One test.
    Leaf(L),
    /// Negation.
    Not(Box<Cond<L>>),
    /// Conjunction (empty: true).
    And(Vec<Cond<L>>),
    /// Disjunction (empty: false).
    Or(Vec<Cond<L>>),
}

impl<L> Cond<L> {
    /// `TRUE` or `FALSE`.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::cond::Cond;
    ///
    /// assert!(matches!(Cond::<()>::constant(false), Cond::False));
    /// ```
    pub fn constant(value: bool) -> Self {
        if value { Cond::True } else { Cond::False }
    }

    /// Evaluates the tree with `leaf` deciding each leaf.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::cond::Cond;
    ///
    /// let any = Cond::Or(vec![Cond::Leaf(1), Cond::Leaf(2)]);
    /// assert!(any.eval(&mut |n| *n == 2));
    /// assert!(!Cond::<i32>::Or(vec![]).eval(&mut |_| true)); // empty OR: false
    /// ```
    pub fn eval(&self, leaf: &mut impl FnMut(&L) -> bool) -> bool {
        match self {
            Cond::True => true,
            Cond::False => false,
            Cond::Leaf(l) => leaf(l),
            Cond::Not(c) => !c.eval(leaf),
            Cond::And(cs) => cs.iter().all(|c| c.eval(leaf)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(leaf)),
        }
    }

    /// The same tree with each leaf replaced by `f(leaf)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::cond::Cond;
    ///
    /// let c = Cond::Not(Box::new(Cond::Leaf(3))).map(&mut |n| n > 2);
    /// assert!(!c.eval(&mut |b| *b));
    /// ```
    pub fn map<M>(self, f: &mut impl FnMut(L) -> M) -> Cond<M> {
        match self {
            Cond::True => Cond::True,
            Cond::False => Cond::False,
            Cond::Leaf(l) => Cond::Leaf(f(l)),
            Cond::Not(c) => Cond::Not(Box::new(c.map(f))),
            Cond::And(cs) => Cond::And(cs.into_iter().map(|c| c.map(f)).collect()),
            Cond::Or(cs) => Cond::Or(cs.into_iter().map(|c| c.map(f)).collect()),
        }
    }

    /// The number of leaves.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::cond::Cond;
    ///
    /// let c = Cond::Or(vec![Cond::Leaf('a'), Cond::And(vec![Cond::Leaf('b'), Cond::True])]);
    /// assert_eq!(c.leaves(), 2);
    /// ```
    pub fn leaves(&self) -> usize {
        match self {
            Cond::True | Cond::False => 0,
            Cond::Leaf(_) => 1,
            Cond::Not(c) => c.leaves(),
            Cond::And(cs) | Cond::Or(cs) => cs.iter().map(Cond::leaves).sum(),
        }
    }
}

impl<L: Keyed> Cond<L> {
    /// Whether two trees are the same condition up to the order of `AND`/`OR` terms.
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::cond::{Cond, LeafKey, LeafOp};
    ///
    /// let leaf = |f| Cond::Leaf(LeafKey::new(f, LeafOp::Flag, None::<()>));
    /// assert!(Cond::And(vec![leaf(1), leaf(2)]).same(&Cond::And(vec![leaf(2), leaf(1)])));
    /// assert!(!Cond::And(vec![leaf(1), leaf(2)]).same(&Cond::Or(vec![leaf(1), leaf(2)])));
    /// ```
    pub fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Cond::True, Cond::True) | (Cond::False, Cond::False) => true,
            (Cond::Leaf(a), Cond::Leaf(b)) => match (a.key(), b.key()) {
                (Some(a), Some(b)) => a.same(b),
                _ => false,
            },
            (Cond::Not(a), Cond::Not(b)) => a.same(b),
            (Cond::And(a), Cond::And(b)) | (Cond::Or(a), Cond::Or(b)) => same_set(a, b),
            _ => false,
        }
    }

    /// Whether `self` is `NOT other` or `other` is `NOT self`.
    fn complements(&self, other: &Self) -> bool {
        match (self, other) {
            (Cond::Not(a), b) | (b, Cond::Not(a)) => a.same(b),
            _ => false,
        }
    }

    /// The simplified tree; selects exactly the rows the original selects (module docs).
    ///
    /// # Examples
    ///
    /// ```
    /// use portcullis::cond::{Cond, LeafKey, LeafOp};
    ///
    /// let a = || Cond::Leaf(LeafKey::new(1, LeafOp::Flag, None::<()>));
    /// let b = || Cond::Leaf(LeafKey::new(2, LeafOp::Flag, None::<()>));
    /// // Absorption: `a OR (a AND b)` is `a`.
    /// assert!(Cond::Or(vec![a(), Cond::And(vec![a(), b()])]).simplify().same(&a()));
    /// // Contradiction: `a AND NOT a` is `FALSE`.
    /// assert!(matches!(Cond::And(vec![a(), Cond::Not(Box::new(a()))]).simplify(), Cond::False));
    /// ```
    pub fn simplify(self) -> Self {
        match self {
            Cond::True | Cond::False | Cond::Leaf(_) => self,
            Cond::Not(inner) => match inner.simplify() {
                Cond::True => Cond::False,
                Cond::False => Cond::True,
                Cond::Not(x) => *x,
                other => Cond::Not(Box::new(other)),
            },
            Cond::And(parts) => simplify_and(parts),
            Cond::Or(parts) => simplify_or(parts),
        }
    }
}

fn same_set<L: Keyed>(a: &[Cond<L>], b: &[Cond<L>]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| b.iter().any(|y| x.same(y)))
        && b.iter().all(|y| a.iter().any(|x| x.same(y)))
}

fn contains<L: Keyed>(set: &[Cond<L>], x: &Cond<L>) -> bool {
    set.iter().any(|y| y.same(x))
}

/// `AND` of simplified, flattened, de-duplicated terms.
fn simplify_and<L: Keyed>(parts: Vec<Cond<L>>) -> Cond<L> {
    let mut out: Vec<Cond<L>> = Vec::with_capacity(parts.len());
    let mut stack: Vec<Cond<L>> = parts.into_iter().rev().collect();
    while let Some(part) = stack.pop() {
        match part.simplify() {
            Cond::True => {}
            Cond::False => return Cond::False,
            Cond::And(inner) => stack.extend(inner.into_iter().rev()),
            term => {
                if out.iter().any(|o| o.complements(&term)) {
                    return Cond::False;
                }
                if !contains(&out, &term) {
                    out.push(term);
                }
            }
        }
    }
    rebuild(out, true)
}

/// `OR` of simplified terms, then absorption, complements and factoring of common conjuncts.
fn simplify_or<L: Keyed>(parts: Vec<Cond<L>>) -> Cond<L> {
    // Each disjunct as the list of its conjuncts.
    let mut terms: Vec<Vec<Cond<L>>> = Vec::with_capacity(parts.len());
    let mut stack: Vec<Cond<L>> = parts.into_iter().rev().collect();
    while let Some(part) = stack.pop() {
        match part.simplify() {
            Cond::False => {}
            Cond::True => return Cond::True,
            Cond::Or(inner) => stack.extend(inner.into_iter().rev()),
            Cond::And(conj) => terms.push(conj),
            term => terms.push(vec![term]),
        }
    }
    loop {
        absorb(&mut terms);
        if !merge_complements(&mut terms) {
            break;
        }
    }
    if terms.iter().any(Vec::is_empty) {
        return Cond::True;
    }
    // `x OR NOT x` between single-term disjuncts is covered by `merge_complements` (C = {}).
    if terms.len() < 2 {
        return match terms.pop() {
            None => Cond::False,
            Some(t) => rebuild(t, true),
        };
    }
    // Factor the conjuncts every disjunct shares: `(a AND b) OR (a AND c)` = `a AND (b OR c)`.
    let mut common: Vec<Cond<L>> = Vec::new();
    let first = std::mem::take(&mut terms[0]);
    let mut first_rest = Vec::new();
    for c in first {
        if terms[1..].iter().all(|t| contains(t, &c)) {
            common.push(c);
        } else {
            first_rest.push(c);
        }
    }
    terms[0] = first_rest;
    if common.is_empty() {
        let disjuncts = terms.into_iter().map(|t| rebuild(t, true)).collect();
        return rebuild(disjuncts, false);
    }
    for t in terms.iter_mut().skip(1) {
        t.retain(|c| !contains(&common, c));
    }
    let rest = Cond::Or(terms.into_iter().map(|t| rebuild(t, true)).collect());
    common.push(rest);
    simplify_and(common)
}

/// Drops disjuncts that another disjunct absorbs (`a OR (a AND b)` = `a`), duplicates included.
fn absorb<L: Keyed>(terms: &mut Vec<Vec<Cond<L>>>) {
    let mut i = 0;
    while i < terms.len() {
        let absorbed = (0..terms.len()).any(|j| {
            j != i
                && terms[j].len() <= terms[i].len()
                // Of two equal disjuncts keep the first.
                && !(terms[j].len() == terms[i].len() && j > i)
                && terms[j].iter().all(|c| contains(&terms[i], c))
        });
        if absorbed {
            terms.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Replaces one pair `C AND x`, `C AND NOT x` by `C`; returns whether it did.
fn merge_complements<L: Keyed>(terms: &mut Vec<Vec<Cond<L>>>) -> bool {
    for i in 0..terms.len() {
        for j in i + 1..terms.len() {
            if terms[i].len() != terms[j].len() {
                continue;
            }
            // Exactly one conjunct of i is missing from j, and it complements the one of j
            // missing from i.
            let only_i: Vec<usize> = (0..terms[i].len())
                .filter(|&k| !contains(&terms[j], &terms[i][k]))
                .collect();
            let only_j: Vec<usize> = (0..terms[j].len())
                .filter(|&k| !contains(&terms[i], &terms[j][k]))
                .collect();
            if let ([a], [b]) = (only_i.as_slice(), only_j.as_slice())
                && terms[i][*a].complements(&terms[j][*b])
            {
                let a = *a;
                terms[i].remove(a);
                terms.remove(j);
                return true;
            }
        }
    }
    false
}

fn rebuild<L>(mut parts: Vec<Cond<L>>, and: bool) -> Cond<L> {
    match parts.len() {
        0 => Cond::constant(and),
        1 => parts.pop().unwrap_or(Cond::constant(and)),
        _ if and => Cond::And(parts),
        _ => Cond::Or(parts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(field: usize) -> Cond<LeafKey> {
        Cond::Leaf(LeafKey::new(field, LeafOp::Flag, None::<()>))
    }
    fn eq(field: usize, value: i64) -> Cond<LeafKey> {
        Cond::Leaf(LeafKey::new(field, LeafOp::Eq, Some(value)))
    }
    fn not(c: Cond<LeafKey>) -> Cond<LeafKey> {
        Cond::Not(Box::new(c))
    }

    #[test]
    fn example_read_rules_become_the_tenant_test() {
        let rules = Cond::And(vec![
            Cond::Or(vec![
                Cond::And(vec![eq(1, 7), not(v(5))]),
                Cond::And(vec![eq(1, 7), v(5)]),
            ]),
            not(Cond::Or(vec![])),
        ]);
        assert!(rules.simplify().same(&eq(1, 7)));
    }

    #[test]
    fn different_values_are_different_leaves() {
        let c = Cond::Or(vec![
            Cond::And(vec![eq(1, 7), not(v(5))]),
            Cond::And(vec![eq(1, 8), v(5)]),
        ]);
        assert_eq!(c.simplify().leaves(), 4);
    }

    #[test]
    fn factoring_keeps_the_rest() {
        let c = Cond::Or(vec![
            Cond::And(vec![eq(1, 7), v(2)]),
            Cond::And(vec![v(3), eq(1, 7)]),
        ]);
        let s = c.simplify();
        assert!(s.same(&Cond::And(vec![eq(1, 7), Cond::Or(vec![v(2), v(3)])])));
    }

    #[test]
    fn absorption_contradiction_and_nan() {
        let c = Cond::Or(vec![v(1), Cond::And(vec![v(1), v(2)])]);
        assert!(c.simplify().same(&v(1)));
        assert!(matches!(
            Cond::And(vec![v(1), not(v(1))]).simplify(),
            Cond::False
        ));
        assert!(matches!(
            Cond::Or(vec![v(1), not(v(1))]).simplify(),
            Cond::True
        ));
        let nan = || Cond::Leaf(LeafKey::new(0, LeafOp::Eq, Some(f64::NAN)));
        assert!(!nan().same(&nan()));
        assert_eq!(Cond::Or(vec![nan(), nan()]).simplify().leaves(), 2);
    }
}
