//! The backend-independent half of the index check: reading the `WHERE` a scope renders (which
//! columns every matching row pins to one value), reading query plans (SQLite's `EXPLAIN QUERY
//! PLAN` rows, PostgreSQL's `EXPLAIN (FORMAT JSON)`), and writing the suggested `CREATE INDEX`.
//! Pure functions on text, so they are unit-tested here without a database.

#[cfg(any(feature = "postgres", test))]
use serde_json::Value;

/// What a plan does that a list at realistic size cannot afford.
///
/// ```
/// use portcullis::testing::PlanIssue;
/// let accepted = [PlanIssue::SortForOrderBy];
/// assert!(!accepted.contains(&PlanIssue::FullScan));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanIssue {
    /// Every row of the table is read: SQLite `SCAN <table>` (also `SCAN <table> USING INDEX`,
    /// which walks a whole index), PostgreSQL `Seq Scan on <table>` or an index scan with no
    /// `Index Cond`. Not reported when the scope has no condition on any column (a list of
    /// every row has nothing to search by).
    FullScan,
    /// Every matching row is sorted before the first page is returned: SQLite `USE TEMP B-TREE
    /// FOR ORDER BY`, PostgreSQL `Sort`. (A partial sort that only breaks ties of an index's
    /// order, SQLite `FOR RIGHT PART OF ORDER BY` or PostgreSQL `Incremental Sort`, is fine.)
    SortForOrderBy,
}

impl PlanIssue {
    /// One line on what the issue costs.
    ///
    /// ```
    /// use portcullis::testing::PlanIssue;
    /// assert!(PlanIssue::FullScan.describe().starts_with("reads every row"));
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            PlanIssue::FullScan => "reads every row of the table (no index serves the WHERE)",
            PlanIssue::SortForOrderBy => {
                "sorts every matching row before returning a page (no index serves the ORDER BY)"
            }
        }
    }
}

/// How a `WHERE` leaf constrains its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeafKind {
    /// `col = value`, `col IS NULL`, or a bool column alone.
    Eq,
    /// `col IN (..)` / `col = ANY(..)`: several index seeks.
    In,
    /// `col < value` and friends, `BETWEEN`.
    Range,
}

/// A `WHERE` clause as far as index choice cares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Where {
    And(Vec<Where>),
    Or(Vec<Where>),
    Not(Box<Where>),
    Leaf(LeafKind, String),
    Const(bool),
    /// Anything else; `true` if it mentions a column.
    Other(bool),
}

/// A set of columns, or every column (the identity of intersection: `FALSE` pins everything).
#[derive(Debug, Clone, PartialEq)]
enum Cols {
    All,
    Some(Vec<String>),
}

impl Cols {
    fn none() -> Self {
        Cols::Some(Vec::new())
    }

    fn union(self, other: Cols) -> Cols {
        match (self, other) {
            (Cols::All, _) | (_, Cols::All) => Cols::All,
            (Cols::Some(mut a), Cols::Some(b)) => {
                for c in b {
                    if !a.iter().any(|x| x.eq_ignore_ascii_case(&c)) {
                        a.push(c);
                    }
                }
                Cols::Some(a)
            }
        }
    }

    fn intersect(self, other: Cols) -> Cols {
        match (self, other) {
            (Cols::All, x) | (x, Cols::All) => x,
            (Cols::Some(a), Cols::Some(b)) => Cols::Some(
                a.into_iter()
                    .filter(|c| b.iter().any(|x| x.eq_ignore_ascii_case(c)))
                    .collect(),
            ),
        }
    }

    fn into_vec(self) -> Vec<String> {
        match self {
            Cols::All => Vec::new(),
            Cols::Some(v) => v,
        }
    }
}

impl Where {
    /// Columns every matching row constrains with a leaf of one of `kinds`, in order of
    /// appearance (a column in every branch of an `OR`, in any operand of an `AND`).
    fn pinned(&self, kinds: &[LeafKind]) -> Cols {
        match self {
            Where::Leaf(k, c) if kinds.contains(k) => Cols::Some(vec![c.clone()]),
            Where::Leaf(..) | Where::Other(_) | Where::Const(true) => Cols::none(),
            Where::Const(false) => Cols::All,
            Where::Not(inner) => match **inner {
                Where::Const(true) => Cols::All,
                _ => Cols::none(),
            },
            Where::And(xs) => xs
                .iter()
                .fold(Cols::none(), |acc, x| acc.union(x.pinned(kinds))),
            Where::Or(xs) => {
                let mut it = xs.iter();
                match it.next() {
                    None => Cols::All,
                    Some(first) => {
                        it.fold(first.pinned(kinds), |acc, x| acc.intersect(x.pinned(kinds)))
                    }
                }
            }
        }
    }

    /// Whether the condition mentions any column (a constant scope has nothing to index).
    pub(crate) fn mentions_columns(&self) -> bool {
        match self {
            Where::Leaf(..) => true,
            Where::Other(cols) => *cols,
            Where::Const(_) => false,
            Where::Not(x) => x.mentions_columns(),
            Where::And(xs) | Where::Or(xs) => xs.iter().any(Where::mentions_columns),
        }
    }

    /// Whether the top level is an `OR` (after unwrapping single-operand groups).
    pub(crate) fn is_or(&self) -> bool {
        match self {
            Where::Or(xs) => xs.len() > 1,
            Where::And(xs) if xs.len() == 1 => xs[0].is_or(),
            _ => false,
        }
    }
}

/// The columns an index for this `WHERE` and `ORDER BY` should have, in order: columns pinned
/// to one value, then those pinned to a list, then the `ORDER BY` columns; with no `ORDER BY`
/// the first range-constrained column instead.
pub(crate) fn index_columns(
    filter: Option<&Where>,
    order: &[(String, bool)],
) -> Vec<(String, Option<bool>)> {
    let mut cols: Vec<(String, Option<bool>)> = Vec::new();
    let push = |c: String, dir: Option<bool>, cols: &mut Vec<(String, Option<bool>)>| {
        if !cols.iter().any(|(x, _)| x.eq_ignore_ascii_case(&c)) {
            cols.push((c, dir));
        }
    };
    if let Some(w) = filter {
        for c in w.pinned(&[LeafKind::Eq]).into_vec() {
            push(c, None, &mut cols);
        }
        for c in w.pinned(&[LeafKind::Eq, LeafKind::In]).into_vec() {
            push(c, None, &mut cols);
        }
    }
    if order.is_empty() {
        if let Some(w) = filter
            && let Some(c) = w.pinned(&[LeafKind::Range]).into_vec().into_iter().next()
        {
            push(c, None, &mut cols);
        }
    } else {
        for (c, desc) in order {
            push(c.clone(), Some(*desc), &mut cols);
        }
    }
    cols
}

// ---- parsing the WHERE ----------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    /// A column reference: the last identifier of `"t"."c"` / `` `t`.`c` `` / `c`.
    Col(String),
    /// A keyword or function name, upper-cased.
    Word(String),
    /// A bind parameter or literal.
    Value,
    Op(String),
}

const KEYWORDS: &[&str] = &[
    "AND", "OR", "NOT", "IS", "NULL", "IN", "ANY", "ALL", "BETWEEN", "LIKE", "ILIKE", "GLOB",
    "TRUE", "FALSE", "COLLATE", "ESCAPE", "EXISTS", "SELECT", "CASE", "WHEN", "THEN", "ELSE",
    "END", "CAST", "AS", "DISTINCT", "FROM", "WHERE", "ISNULL", "NOTNULL",
];

fn tokenize(sql: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    // Reads a quoted identifier or string starting at `i` (the opening quote); doubled quotes
    // escape.
    let quoted = |i: &mut usize, q: char| -> Option<String> {
        let mut s = String::new();
        *i += 1;
        loop {
            let c = *chars.get(*i)?;
            *i += 1;
            if c == q {
                if chars.get(*i) == Some(&q) {
                    s.push(q);
                    *i += 1;
                } else {
                    return Some(s);
                }
            } else {
                s.push(c);
            }
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '?' => {
                out.push(Tok::Value);
                i += 1;
            }
            '$' => {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                out.push(Tok::Value);
            }
            '\'' => {
                quoted(&mut i, '\'')?;
                out.push(Tok::Value);
            }
            '"' | '`' | '[' => {
                let name = if c == '[' {
                    let end = chars[i..].iter().position(|&x| x == ']')? + i;
                    let n: String = chars[i + 1..end].iter().collect();
                    i = end + 1;
                    n
                } else {
                    quoted(&mut i, c)?
                };
                push_ident(&mut out, name);
            }
            '.' if out.last().is_some_and(|t| matches!(t, Tok::Col(_))) => {
                // `"t"."c"`: the next identifier replaces the table name.
                i += 1;
                if let Some(Tok::Col(_)) = out.last() {
                    out.pop();
                }
                out.push(Tok::Col(String::new()));
            }
            c if c.is_ascii_digit() || c == '.' => {
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
                {
                    i += 1;
                }
                out.push(Tok::Value);
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let upper = word.to_ascii_uppercase();
                let next_non_space = chars[i..].iter().find(|c| !c.is_whitespace());
                if KEYWORDS.contains(&upper.as_str()) || next_non_space == Some(&'(') {
                    out.push(Tok::Word(upper));
                } else {
                    push_ident(&mut out, word);
                }
            }
            ':' if chars.get(i + 1) == Some(&':') => {
                // PostgreSQL cast `x::type`: skip the type name.
                i += 2;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
            _ => {
                let start = i;
                while i < chars.len() && "=<>!|+-*/%&~^".contains(chars[i]) {
                    i += 1;
                }
                if i == start {
                    i += 1; // an unknown character: ignore it
                } else {
                    out.push(Tok::Op(chars[start..i].iter().collect()));
                }
            }
        }
    }
    Some(out)
}

/// An identifier: completes a pending `table.` qualifier, or starts a column reference.
fn push_ident(out: &mut Vec<Tok>, name: String) {
    match out.last_mut() {
        Some(Tok::Col(pending)) if pending.is_empty() => *pending = name,
        _ => out.push(Tok::Col(name)),
    }
}

/// Parses a rendered filter (`(("documents"."tenant_id" = $1))`). `None` when the text is not
/// understood; the check then suggests an index from the `ORDER BY` alone.
pub(crate) fn parse_where(sql: &str) -> Option<Where> {
    let toks = tokenize(sql)?;
    let mut p = Parser { toks, pos: 0 };
    let w = p.or()?;
    (p.pos == p.toks.len()).then_some(w)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn or(&mut self) -> Option<Where> {
        let mut parts = vec![self.and()?];
        while self.is_word("OR") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Some(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Where::Or(parts)
        })
    }

    fn and(&mut self) -> Option<Where> {
        let mut parts = vec![self.not()?];
        while self.is_word("AND") {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Some(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Where::And(parts)
        })
    }

    fn not(&mut self) -> Option<Where> {
        if self.is_word("NOT")
            && !matches!(self.toks.get(self.pos + 1), Some(Tok::Word(w)) if w == "EXISTS")
        {
            self.pos += 1;
            return Some(Where::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Option<Where> {
        if self.peek() == Some(&Tok::LParen) {
            let save = self.pos;
            self.pos += 1;
            if let Some(inner) = self.or()
                && self.peek() == Some(&Tok::RParen)
            {
                self.pos += 1;
                let ends = match self.peek() {
                    None | Some(Tok::RParen) => true,
                    Some(Tok::Word(w)) => w == "AND" || w == "OR",
                    _ => false,
                };
                if ends {
                    return Some(inner);
                }
            }
            // `(a + 1) = ?`: the group was a value, not a condition.
            self.pos = save;
        }
        self.atom()
    }

    /// Tokens up to the next `AND`/`OR`/`)` at this depth (an `AND` after `BETWEEN` belongs to
    /// it), classified.
    fn atom(&mut self) -> Option<Where> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut between = false;
        while let Some(t) = self.peek() {
            match t {
                Tok::LParen => depth += 1,
                Tok::RParen if depth == 0 => break,
                Tok::RParen => depth -= 1,
                Tok::Word(w) if depth == 0 && w == "BETWEEN" => between = true,
                Tok::Word(w) if depth == 0 && w == "AND" && between => between = false,
                Tok::Word(w) if depth == 0 && (w == "AND" || w == "OR") => break,
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos == start || depth != 0 {
            return None;
        }
        Some(classify(&self.toks[start..self.pos]))
    }
}

fn is_value(t: &Tok) -> bool {
    matches!(t, Tok::Value) || matches!(t, Tok::Word(w) if w == "TRUE" || w == "FALSE")
}

fn classify(toks: &[Tok]) -> Where {
    use Tok::*;
    let mentions = toks.iter().any(|t| matches!(t, Col(_)));
    match toks {
        [Col(c)] => Where::Leaf(LeafKind::Eq, c.clone()),
        [Word(w)] if w == "TRUE" => Where::Const(true),
        [Word(w)] if w == "FALSE" => Where::Const(false),
        [Value] => Where::Other(false),
        [Col(c), Op(op), v] | [v, Op(op), Col(c)] if is_value(v) => match op.as_str() {
            "=" | "==" => Where::Leaf(LeafKind::Eq, c.clone()),
            "<" | "<=" | ">" | ">=" => Where::Leaf(LeafKind::Range, c.clone()),
            _ => Where::Other(true),
        },
        [Col(c), Word(is), Word(null)] if is == "IS" && null == "NULL" => {
            Where::Leaf(LeafKind::Eq, c.clone())
        }
        [Col(c), Word(w), ..] if w == "BETWEEN" => Where::Leaf(LeafKind::Range, c.clone()),
        [Col(c), Word(w), LParen, .., RParen] if w == "IN" => Where::Leaf(LeafKind::In, c.clone()),
        [Col(c), Op(op), Word(w), LParen, .., RParen] if op == "=" && w == "ANY" => {
            Where::Leaf(LeafKind::In, c.clone())
        }
        [Word(w), LParen, rest @ .., RParen] if w == "COALESCE" => {
            // COALESCE(<condition>, FALSE): the condition decides.
            let mut depth = 0usize;
            let end = rest
                .iter()
                .position(|t| {
                    match t {
                        LParen => depth += 1,
                        RParen => depth = depth.saturating_sub(1),
                        Comma if depth == 0 => return true,
                        _ => {}
                    }
                    false
                })
                .unwrap_or(rest.len());
            let mut p = Parser {
                toks: rest[..end].to_vec(),
                pos: 0,
            };
            match p.or() {
                Some(w) if p.pos == p.toks.len() => w,
                _ => Where::Other(mentions),
            }
        }
        _ => Where::Other(mentions),
    }
}

/// Splits a rendered select list (`"t"."a", "t"."b"`) at top-level commas.
pub(crate) fn split_select_list(sql: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in sql.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '`' | '\'' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(cur.trim().to_owned());
                    cur.clear();
                    continue;
                }
                _ => {}
            },
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        parts.push(cur.trim().to_owned());
    }
    parts
}

/// The last identifier of a rendered column or table (`"s"."t"` → `t`), unquoted.
pub(crate) fn last_ident(sql: &str) -> String {
    match tokenize(sql).as_deref() {
        Some([.., Tok::Col(c)]) => c.clone(),
        _ => sql
            .rsplit('.')
            .next()
            .unwrap_or(sql)
            .trim_matches(|c| c == '"' || c == '`')
            .to_owned(),
    }
}

// ---- plans ------------------------------------------------------------------------------------

/// One line of a plan, indented by its depth, and the issue it shows (if any).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlanLine {
    pub depth: usize,
    pub text: String,
    pub issue: Option<PlanIssue>,
}

#[cfg(any(feature = "sqlite", test))]
/// SQLite `EXPLAIN QUERY PLAN` rows `(id, parent, detail)` as lines, with issues marked.
/// `constrained`: the `WHERE` mentions a column (else a full scan is no issue).
pub(crate) fn sqlite_plan(
    rows: &[(i32, i32, String)],
    table: &str,
    constrained: bool,
) -> Vec<PlanLine> {
    let depth_of = |mut parent: i32| {
        let mut d = 0;
        while parent != 0 && d < rows.len() {
            d += 1;
            parent = rows
                .iter()
                .find(|(id, _, _)| *id == parent)
                .map_or(0, |(_, p, _)| *p);
        }
        d
    };
    rows.iter()
        .map(|(_, parent, detail)| {
            let issue = if detail.trim() == "USE TEMP B-TREE FOR ORDER BY" {
                Some(PlanIssue::SortForOrderBy)
            } else if constrained && sqlite_scans(detail, table) {
                Some(PlanIssue::FullScan)
            } else {
                None
            };
            PlanLine {
                depth: depth_of(*parent),
                text: detail.clone(),
                issue,
            }
        })
        .collect()
}

/// `SCAN documents`, `SCAN TABLE documents` (before SQLite 3.36), `SCAN documents USING INDEX x`.
#[cfg(any(feature = "sqlite", test))]
fn sqlite_scans(detail: &str, table: &str) -> bool {
    let Some(rest) = detail.trim().strip_prefix("SCAN ") else {
        return false;
    };
    let rest = rest.strip_prefix("TABLE ").unwrap_or(rest);
    rest.split_whitespace()
        .next()
        .is_some_and(|name| name.eq_ignore_ascii_case(table))
}

/// PostgreSQL `EXPLAIN (FORMAT JSON)` output as lines, with issues marked. `None` if the JSON
/// does not have the documented shape (`[{"Plan": {..}}]`).
#[cfg(any(feature = "postgres", test))]
pub(crate) fn postgres_plan(json: &Value, table: &str, constrained: bool) -> Option<Vec<PlanLine>> {
    let root = json.as_array()?.first()?.get("Plan")?;
    let mut out = Vec::new();
    pg_node(root, 0, table, constrained, &mut out);
    Some(out)
}

#[cfg(any(feature = "postgres", test))]
fn pg_node(node: &Value, depth: usize, table: &str, constrained: bool, out: &mut Vec<PlanLine>) {
    let s = |k: &str| node.get(k).and_then(Value::as_str);
    let kind = s("Node Type").unwrap_or("?");
    let on_table = s("Relation Name").is_some_and(|r| r.eq_ignore_ascii_case(table));
    let mut text = kind.to_owned();
    if s("Scan Direction") == Some("Backward") {
        text.push_str(" Backward");
    }
    if let Some(ix) = s("Index Name") {
        text.push_str(&format!(" using {ix}"));
    }
    if let Some(rel) = s("Relation Name") {
        text.push_str(&format!(" on {rel}"));
    }
    let mut details = Vec::new();
    for key in [
        "Index Cond",
        "Recheck Cond",
        "Filter",
        "One-Time Filter",
        "Presorted Key",
    ] {
        if let Some(v) = node.get(key) {
            details.push(format!("{key}: {}", pg_value(v)));
        }
    }
    if let Some(v) = node.get("Sort Key") {
        details.push(format!("Sort Key: {}", pg_value(v)));
    }
    if !details.is_empty() {
        text.push_str(&format!("  ({})", details.join("; ")));
    }
    let issue = match kind {
        "Sort" => Some(PlanIssue::SortForOrderBy),
        "Seq Scan" if on_table && constrained => Some(PlanIssue::FullScan),
        "Index Scan" | "Index Only Scan"
            if on_table && constrained && node.get("Index Cond").is_none() =>
        {
            Some(PlanIssue::FullScan)
        }
        _ => None,
    };
    out.push(PlanLine { depth, text, issue });
    if let Some(children) = node.get("Plans").and_then(Value::as_array) {
        for child in children {
            pg_node(child, depth + 1, table, constrained, out);
        }
    }
}

#[cfg(any(feature = "postgres", test))]
fn pg_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(xs) => xs.iter().map(pg_value).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A plan as the report shows it (one string per line) and its issues with their lines.
pub(crate) type Analysis = (Vec<String>, Vec<(PlanIssue, String)>);

/// The lines of a plan as the report shows them: indented by depth, issues marked.
pub(crate) fn format_lines(lines: &[PlanLine], marked: impl Fn(&PlanLine) -> bool) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            format!(
                "{}{}{}",
                "  ".repeat(l.depth),
                l.text,
                if marked(l) { "   <-- here" } else { "" }
            )
        })
        .collect()
}

/// The issues of a SQLite plan: its marked lines.
#[cfg(any(feature = "sqlite", test))]
pub(crate) fn sqlite_issues(lines: &[PlanLine]) -> Analysis {
    let issues = lines
        .iter()
        .filter_map(|l| l.issue.map(|i| (i, l.text.trim().to_owned())))
        .collect();
    (format_lines(lines, |l| l.issue.is_some()), issues)
}

/// The issues of PostgreSQL's two plans: `scans_off` (sequential scans disabled) answers
/// whether an index serves the `WHERE`; `sorts_off` (sorts disabled too) whether one serves the
/// `WHERE` and the `ORDER BY` together. A sort that remains is an issue, and so is a full scan
/// that appears only when sorting is disabled: the planner would rather read the whole table
/// than sort, so no index gives this `WHERE` in this order.
#[cfg(any(feature = "postgres", test))]
pub(crate) fn postgres_issues(scans_off: &[PlanLine], sorts_off: &[PlanLine]) -> Analysis {
    let full_scans: Vec<&PlanLine> = scans_off
        .iter()
        .filter(|l| l.issue == Some(PlanIssue::FullScan))
        .collect();
    let mut issues: Vec<(PlanIssue, String)> = full_scans
        .iter()
        .map(|l| (PlanIssue::FullScan, l.text.clone()))
        .collect();
    let sorts: Vec<&PlanLine> = sorts_off
        .iter()
        .filter(|l| l.issue == Some(PlanIssue::SortForOrderBy))
        .collect();
    let mut sort_lines: Vec<&PlanLine> = sorts.clone();
    if sorts.is_empty() && full_scans.is_empty() {
        for l in sorts_off
            .iter()
            .filter(|l| l.issue == Some(PlanIssue::FullScan))
        {
            issues.push((
                PlanIssue::SortForOrderBy,
                format!(
                    "{} (with sorting disabled the planner reads the whole table instead)",
                    l.text
                ),
            ));
            sort_lines.push(l);
        }
    }
    issues.extend(
        sorts
            .iter()
            .map(|l| (PlanIssue::SortForOrderBy, l.text.clone())),
    );
    let same = scans_off.len() == sorts_off.len()
        && scans_off
            .iter()
            .zip(sorts_off)
            .all(|(a, b)| a.text == b.text);
    // One plan when both are the same (then its sort lines are the sort issues).
    let mut text = format_lines(scans_off, |l| {
        l.issue == Some(PlanIssue::FullScan) || (same && l.issue.is_some())
    });
    if !same && !sort_lines.is_empty() {
        text.push("with enable_sort = off as well:".to_owned());
        text.extend(format_lines(sorts_off, |l| {
            sort_lines.iter().any(|s| std::ptr::eq(*s, l))
        }));
    }
    (text, issues)
}

// ---- suggestions ------------------------------------------------------------------------------

/// Quotes an identifier unless it is plain lower-case (`[a-z_][a-z0-9_]*`).
pub(crate) fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `CREATE INDEX <table>_<cols>_idx ON <table> (<cols>);`. Directions are written only when
/// the `ORDER BY` mixes them (an index is walked backwards as easily as forwards).
pub(crate) fn create_index(table: &str, cols: &[(String, Option<bool>)]) -> String {
    let dirs: Vec<bool> = cols.iter().filter_map(|(_, d)| *d).collect();
    let mixed = dirs.windows(2).any(|w| w[0] != w[1]);
    let mut name = format!(
        "{}_{}_idx",
        table,
        cols.iter()
            .map(|(c, _)| c.as_str())
            .collect::<Vec<_>>()
            .join("_")
    )
    .to_ascii_lowercase()
    .chars()
    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
    .collect::<String>();
    name.truncate(63); // PostgreSQL's identifier limit
    let list = cols
        .iter()
        .map(|(c, d)| match (mixed, d) {
            (true, Some(true)) => format!("{} DESC", ident(c)),
            (true, Some(false)) => format!("{} ASC", ident(c)),
            _ => ident(c),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "CREATE INDEX {} ON {} ({list});",
        ident(&name),
        ident(table)
    )
}

/// An existing index: its name and key columns in order (`None` for an expression).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExistingIndex {
    pub name: String,
    pub columns: Vec<Option<String>>,
}

/// The existing index whose leading columns are exactly `want` (in order), if any.
pub(crate) fn covering_index<'a>(
    existing: &'a [ExistingIndex],
    want: &[(String, Option<bool>)],
) -> Option<&'a ExistingIndex> {
    if want.is_empty() {
        return None;
    }
    existing.iter().find(|ix| {
        ix.columns.len() >= want.len()
            && want
                .iter()
                .zip(&ix.columns)
                .all(|((w, _), have)| have.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(w)))
    })
}

/// Groups `(index, column)` rows (ordered by index, then position) into indexes.
pub(crate) fn group_indexes(rows: Vec<(String, Option<String>)>) -> Vec<ExistingIndex> {
    let mut out: Vec<ExistingIndex> = Vec::new();
    for (name, col) in rows {
        match out.last_mut() {
            Some(ix) if ix.name == name => ix.columns.push(col),
            _ => out.push(ExistingIndex {
                name,
                columns: vec![col],
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(w: &str, order: &[(&str, bool)]) -> Vec<String> {
        let order: Vec<(String, bool)> = order.iter().map(|(c, d)| (c.to_string(), *d)).collect();
        index_columns(parse_where(w).as_ref(), &order)
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    }

    #[test]
    fn equality_columns_then_order() {
        assert_eq!(
            cols(r#"(`documents`.`tenant_id` = ?)"#, &[("id", true)]),
            ["tenant_id", "id"]
        );
        assert_eq!(
            cols(
                r#"(("documents"."tenant_id" = $1) AND (NOT ("documents"."archived")))"#,
                &[("id", true)]
            ),
            ["tenant_id", "id"]
        );
        // Both columns pinned, in order of appearance.
        assert_eq!(
            cols(
                r#"(("c"."tenant_id" = $1) AND ("c"."document_id" = $2))"#,
                &[("id", false)]
            ),
            ["tenant_id", "document_id", "id"]
        );
    }

    #[test]
    fn or_keeps_only_columns_pinned_in_every_branch() {
        let w = r#"(((`d`.`tenant_id` = ?) AND (NOT (`d`.`archived` = ?))) OR ((`d`.`tenant_id` = ?) AND (`d`.`archived` = ?)))"#;
        assert_eq!(cols(w, &[("id", true)]), ["tenant_id", "id"]);
        assert!(parse_where(w).unwrap().is_or());
        // own row OR the tenant's rows: nothing in common
        assert_eq!(
            cols(
                r#"((`u`.`id` = ?) OR (`u`.`tenant_id` = ?))"#,
                &[("id", false)]
            ),
            ["id"]
        );
    }

    #[test]
    fn literals_lists_ranges_and_coalesce() {
        assert_eq!(cols(r#"("t"."archived" = FALSE)"#, &[]), ["archived"]);
        assert_eq!(cols(r#"("t"."status" = 'o''k')"#, &[]), ["status"]);
        assert_eq!(
            cols(
                r#"(("t"."owner_id" IN (?, ?)) AND ("t"."tenant_id" = ?))"#,
                &[("id", true)]
            ),
            ["tenant_id", "owner_id", "id"]
        );
        assert_eq!(cols(r#"("t"."owner_id" = ANY($1))"#, &[]), ["owner_id"]);
        assert_eq!(cols(r#"("t"."level" >= $1)"#, &[]), ["level"]);
        assert_eq!(cols(r#"("t"."level" BETWEEN ? AND ?)"#, &[]), ["level"]);
        assert_eq!(
            cols(
                r#"COALESCE(("t"."reviewer_id" = $1), FALSE)"#,
                &[("id", false)]
            ),
            ["reviewer_id", "id"]
        );
        assert_eq!(cols(r#"("t"."reviewer_id" IS NULL)"#, &[]), ["reviewer_id"]);
        assert_eq!(cols("tenant_id = 7", &[]), ["tenant_id"]);
    }

    #[test]
    fn constant_scopes_mention_no_column() {
        assert!(!parse_where("TRUE").unwrap().mentions_columns());
        assert!(!parse_where("(FALSE)").unwrap().mentions_columns());
        assert!(parse_where("(`t`.`a` != ?)").unwrap().mentions_columns());
        assert_eq!(cols("FALSE", &[("id", false)]), ["id"]);
    }

    #[test]
    fn value_groups_and_unknown_sql_do_not_confuse_the_parser() {
        assert_eq!(cols(r#"(("t"."a" + 1) = $1)"#, &[]), Vec::<String>::new());
        assert!(
            parse_where(r#"(("t"."a" + 1) = $1)"#)
                .unwrap()
                .mentions_columns()
        );
        assert_eq!(
            cols(
                r#"(EXISTS (SELECT 1 FROM "m" WHERE "m"."x" = $1)) AND ("t"."k" = $2)"#,
                &[]
            ),
            ["k"]
        );
        assert_eq!(parse_where("(`a` = ?"), None);
    }

    #[test]
    fn select_lists_split_at_top_level_commas() {
        assert_eq!(
            split_select_list("`d`.`id`, `d`.`a,b`, COALESCE(`d`.`x`, 0)"),
            ["`d`.`id`", "`d`.`a,b`", "COALESCE(`d`.`x`, 0)"]
        );
        assert_eq!(last_ident("\"s\".\"Docs\""), "Docs");
        assert_eq!(last_ident("`documents`"), "documents");
    }

    #[test]
    fn sqlite_plans_mark_scans_and_sorts() {
        let rows = vec![
            (2, 0, "SCAN documents".to_owned()),
            (10, 0, "USE TEMP B-TREE FOR ORDER BY".to_owned()),
        ];
        let lines = sqlite_plan(&rows, "documents", true);
        assert_eq!(lines[0].issue, Some(PlanIssue::FullScan));
        assert_eq!(lines[1].issue, Some(PlanIssue::SortForOrderBy));
        // A constant scope: reading everything is the point.
        assert_eq!(sqlite_plan(&rows, "documents", false)[0].issue, None);
        let ok = vec![
            (
                3,
                0,
                "SEARCH documents USING INDEX d_t (tenant_id=?)".to_owned(),
            ),
            (
                4,
                0,
                "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY".to_owned(),
            ),
            (5, 0, "SCAN documents_archive".to_owned()),
        ];
        assert!(
            sqlite_plan(&ok, "documents", true)
                .iter()
                .all(|l| l.issue.is_none())
        );
        let old = vec![(1, 0, "SCAN TABLE documents USING INDEX x".to_owned())];
        assert_eq!(
            sqlite_plan(&old, "documents", true)[0].issue,
            Some(PlanIssue::FullScan)
        );
        let nested = vec![
            (1, 0, "MULTI-INDEX OR".to_owned()),
            (2, 1, "INDEX 1".to_owned()),
            (
                3,
                2,
                "SEARCH documents USING INDEX d_t (tenant_id=?)".to_owned(),
            ),
        ];
        let depths: Vec<usize> = sqlite_plan(&nested, "documents", true)
            .iter()
            .map(|l| l.depth)
            .collect();
        assert_eq!(depths, [0, 1, 2]);
    }

    #[test]
    fn postgres_plans_mark_seq_scans_full_index_scans_and_sorts() {
        let plan: Value = serde_json::from_str(
            r#"[{"Plan": {"Node Type": "Limit", "Plans": [
                {"Node Type": "Sort", "Sort Key": ["documents.id DESC"], "Plans": [
                  {"Node Type": "Seq Scan", "Relation Name": "documents", "Filter": "(tenant_id = '1'::bigint)"}]}]}}]"#,
        )
        .unwrap();
        let lines = postgres_plan(&plan, "documents", true).unwrap();
        assert_eq!(
            lines.iter().map(|l| l.issue).collect::<Vec<_>>(),
            [
                None,
                Some(PlanIssue::SortForOrderBy),
                Some(PlanIssue::FullScan)
            ]
        );
        assert_eq!(
            lines[2].text,
            "Seq Scan on documents  (Filter: (tenant_id = '1'::bigint))"
        );
        assert_eq!(lines[2].depth, 2);

        let full_index: Value = serde_json::from_str(
            r#"[{"Plan": {"Node Type": "Index Scan", "Scan Direction": "Backward", "Index Name": "documents_pkey",
                "Relation Name": "documents", "Filter": "(tenant_id = '1'::bigint)"}}]"#,
        )
        .unwrap();
        let lines = postgres_plan(&full_index, "documents", true).unwrap();
        assert_eq!(lines[0].issue, Some(PlanIssue::FullScan));
        assert!(
            lines[0]
                .text
                .starts_with("Index Scan Backward using documents_pkey on documents")
        );

        let good: Value = serde_json::from_str(
            r#"[{"Plan": {"Node Type": "Index Scan", "Index Name": "d_t_id", "Relation Name": "documents",
                "Index Cond": "(tenant_id = '1'::bigint)"}}]"#,
        )
        .unwrap();
        assert!(
            postgres_plan(&good, "documents", true).unwrap()[0]
                .issue
                .is_none()
        );
        assert!(postgres_plan(&Value::Null, "documents", true).is_none());
    }

    #[test]
    fn postgres_full_scans_that_only_avoid_a_sort_count_as_sorts() {
        let line = |text: &str, issue| PlanLine {
            depth: 0,
            text: text.to_owned(),
            issue,
        };
        // sorts allowed: bitmap scans + sort (fine for the WHERE); sorts disabled: the planner
        // walks the primary key whole rather than sort.
        let scans_off = vec![
            line("Sort", Some(PlanIssue::SortForOrderBy)),
            line("Bitmap Heap Scan on users", None),
        ];
        let sorts_off = vec![line(
            "Index Scan using users_pkey on users",
            Some(PlanIssue::FullScan),
        )];
        let (text, issues) = postgres_issues(&scans_off, &sorts_off);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].0, PlanIssue::SortForOrderBy);
        assert!(
            issues[0]
                .1
                .starts_with("Index Scan using users_pkey on users")
        );
        assert_eq!(
            text,
            [
                "Sort",
                "Bitmap Heap Scan on users",
                "with enable_sort = off as well:",
                "Index Scan using users_pkey on users   <-- here"
            ]
        );
        // A full scan with sorts allowed is a full scan, reported once.
        let seq = vec![line("Seq Scan on users", Some(PlanIssue::FullScan))];
        let (_, issues) = postgres_issues(&seq, &seq);
        assert_eq!(
            issues,
            [(PlanIssue::FullScan, "Seq Scan on users".to_owned())]
        );
        // The same plan with sorts allowed and disabled: the sort is marked in it.
        let sorted = vec![
            line("Sort", Some(PlanIssue::SortForOrderBy)),
            line("Bitmap Heap Scan on users", None),
        ];
        let (text, issues) = postgres_issues(&sorted, &sorted);
        assert_eq!(issues, [(PlanIssue::SortForOrderBy, "Sort".to_owned())]);
        assert_eq!(text, ["Sort   <-- here", "Bitmap Heap Scan on users"]);
        // Index order: nothing to report.
        let good = vec![line("Index Scan Backward using d_t_id on documents", None)];
        assert!(postgres_issues(&good, &good).1.is_empty());
    }

    #[test]
    fn suggestions_name_the_columns_and_reuse_existing_indexes() {
        let want = vec![
            ("tenant_id".to_owned(), None),
            ("id".to_owned(), Some(true)),
        ];
        assert_eq!(
            create_index("documents", &want),
            "CREATE INDEX documents_tenant_id_id_idx ON documents (tenant_id, id);"
        );
        let mixed = vec![
            ("title".to_owned(), Some(false)),
            ("Id".to_owned(), Some(true)),
        ];
        assert_eq!(
            create_index("Docs", &mixed),
            "CREATE INDEX docs_title_id_idx ON \"Docs\" (title ASC, \"Id\" DESC);"
        );
        let existing = group_indexes(vec![
            ("a".into(), Some("tenant_id".into())),
            ("b".into(), Some("tenant_id".into())),
            ("b".into(), Some("id".into())),
            ("b".into(), Some("title".into())),
        ]);
        assert_eq!(existing.len(), 2);
        assert_eq!(
            covering_index(&existing, &want).map(|i| i.name.as_str()),
            Some("b")
        );
        assert_eq!(covering_index(&existing, &[]), None);
    }
}
