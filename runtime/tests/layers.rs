//! The runtime's layering, checked by reading its source (ARCHITECTURE.md "Layers").
//!
//! Every `crate::…` path in `runtime/src` (in `use` lines and in code; comments are skipped, and
//! so are `#[cfg(test)]` modules, whose imports do not ship) is resolved against the file tree:
//!
//! - a layer may name only itself and the layers below it (`model` < `backend` < `policy` <
//!   `http` < `authn`, `throttle` < `guard` < `testing` < `__private`), and `authn` and
//!   `throttle`, two independent features, may not name each other;
//! - a path goes to the module that defines the item, never through the crate root's
//!   re-exports (`crate::Problem`, `crate::db::…`), nor through another module's re-export,
//!   unless that module re-exports a private child (then it is the only door);
//! - no two top-level modules, and no two sibling modules, import each other (directly or
//!   round a longer circle).
//!
//! Each offence is printed as `file:line: what`. `PORTCULLIS_LAYERS_SRC` points the test at
//! another source tree (to see it fail on a layout without layers).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first; modules on one rank may not name each other.
const RANKS: &[&[&str]] = &[
    &["model"],
    &["backend"],
    &["policy"],
    &["http"],
    &["authn", "throttle"],
    &["guard"],
    &["testing"],
    &["__private"],
];

/// Features whose inner layout is theirs to keep: their siblings are not checked for circles
/// (today `authn::jwt` and `authn::strategy` name each other through `FailureReason`). Their
/// imports are still held to the layers and to defining modules.
const OWN_LAYOUT: &[&str] = &["authn", "throttle"];

fn rank(top: &str) -> Option<usize> {
    RANKS.iter().position(|r| r.contains(&top))
}

struct Src {
    root: PathBuf,
    /// Module path (without `crate`) → its file's text.
    files: BTreeMap<Vec<String>, (PathBuf, String)>,
}

impl Src {
    fn load(root: &Path) -> Src {
        let mut files = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read runtime/src") {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let rel = path.strip_prefix(root).expect("under root");
                    let mut module: Vec<String> = rel
                        .iter()
                        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
                        .collect();
                    if module.last().is_some_and(|l| l == "mod" || l == "lib") {
                        module.pop();
                    }
                    if module == ["private"] {
                        module = vec!["__private".into()];
                    }
                    let text = std::fs::read_to_string(&path).expect("read source");
                    files.insert(module, (path, text));
                }
            }
        }
        Src {
            root: root.to_path_buf(),
            files,
        }
    }

    fn text(&self, module: &[String]) -> Option<&str> {
        self.files.get(module).map(|(_, t)| t.as_str())
    }

    /// Names declared `#[macro_export]` anywhere: they live at the crate root by definition.
    fn exported_macros(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (_, text) in self.files.values() {
            let lines: Vec<&str> = text.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if l.trim() == "#[macro_export]" {
                    for next in &lines[i + 1..] {
                        if let Some(rest) = next.trim().strip_prefix("macro_rules!") {
                            out.insert(ident(rest.trim()).to_string());
                            break;
                        }
                    }
                }
            }
        }
        out
    }
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The code of a line: comments and string contents removed.
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            if c == '\\' {
                chars.next();
            } else if c == '"' {
                in_str = false;
                out.push('"');
            }
            continue;
        }
        if c == '/' && chars.peek() == Some(&'/') {
            break;
        }
        if c == '"' {
            in_str = true;
        }
        out.push(c);
    }
    out
}

/// Each `crate::…` path of `code` (a whole file without comments), use-trees expanded, with the
/// byte offset it starts at.
fn crate_paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find("crate::") {
        let at = from + i;
        let before = code[..at].chars().next_back();
        from = at + "crate::".len();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // `foo_crate::` is not ours (`$crate::` in a macro is)
        }
        let mut paths = Vec::new();
        tree(&code[from..], Vec::new(), &mut paths);
        for p in paths {
            out.push((at, p));
        }
    }
    out
}

/// Parses a path or use-tree at the start of `s` (`a::b::{c, d::e}`) into `out`.
fn tree(s: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    let mut i = 0;
    let b = s.as_bytes();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'{' {
            i += 1;
            loop {
                while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b',') {
                    i += 1;
                }
                if i >= b.len() || b[i] == b'}' {
                    return i + 1;
                }
                i += tree(&s[i..], path.clone(), out);
                // skip `as alias`
                while i < b.len() && !matches!(b[i], b',' | b'}') {
                    i += 1;
                }
            }
        }
        let id = ident(&s[i..]);
        if id.is_empty() {
            break;
        }
        path.push(id.to_string());
        i += id.len();
        if s[i..].starts_with("::") {
            i += 2;
        } else {
            break;
        }
    }
    if path.last().is_some_and(|l| l == "self") {
        path.pop();
    }
    if !path.is_empty() {
        out.push(path);
    }
    i
}

/// Does `text` define `name` (as an item, a module or a macro)?
fn defines(text: &str, name: &str) -> bool {
    const KINDS: &[&str] = &[
        "struct ",
        "enum ",
        "trait ",
        "type ",
        "fn ",
        "const ",
        "static ",
        "mod ",
        "union ",
        "macro_rules! ",
    ];
    text.lines().any(|l| {
        let code = code_of(l);
        KINDS.iter().any(|k| {
            code.match_indices(k).any(|(i, _)| {
                let before = code[..i].chars().next_back();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && ident(&code[i + k.len()..]) == name
            })
        })
    })
}

/// Whether `text` re-exports `name` (`pub use …::name`) from another module of this crate,
/// which a path should then name instead. Not when the source is a private child module (`mod
/// x;` + `pub use x::…name`: the re-export is the only door) or another crate (`pub use
/// diesel::pg::Pg` is where this crate defines its name).
fn reexports_ours(text: &str, name: &str) -> bool {
    let private: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod ").map(|r| ident(r).to_string()))
        .collect();
    let children: BTreeSet<String> = text
        .lines()
        .filter_map(|l| {
            let t = l.trim();
            let t = t
                .strip_prefix("pub(crate) ")
                .or(t.strip_prefix("pub "))
                .unwrap_or(t);
            t.strip_prefix("mod ").map(|r| ident(r).to_string())
        })
        .collect();
    let ours = |first: &String| {
        ["crate", "self", "super"].contains(&first.as_str()) || children.contains(first)
    };
    let code: String = text.lines().map(code_of).collect::<Vec<_>>().join("\n");
    let mut from = 0;
    while let Some(i) = code[from..].find("pub use ") {
        let at = from + i + "pub use ".len();
        from = at;
        let mut paths = Vec::new();
        tree(&code[at..], Vec::new(), &mut paths);
        if paths
            .iter()
            .any(|p| p.last().is_some_and(|l| l == name) && !private.contains(&p[0]) && ours(&p[0]))
        {
            return true;
        }
    }
    false
}

struct Report {
    offences: Vec<String>,
}

#[test]
fn layers_hold() {
    let root = std::env::var_os("PORTCULLIS_LAYERS_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let src = Src::load(&root);
    let macros = src.exported_macros();
    let top_modules: BTreeSet<String> = src
        .files
        .keys()
        .filter(|m| m.len() == 1)
        .map(|m| m[0].clone())
        .collect();
    let mut report = Report {
        offences: Vec::new(),
    };
    // (from module, to module) → first place it happens.
    let mut edges: BTreeMap<(Vec<String>, Vec<String>), String> = BTreeMap::new();

    for (module, (path, text)) in &src.files {
        let shown = path
            .strip_prefix(&src.root)
            .unwrap_or(path)
            .display()
            .to_string();
        // Code only: comments dropped, `#[cfg(test)]` modules cut off (they sit at the end).
        let mut code = String::new();
        let mut line_starts = Vec::new();
        let mut pending_test = false;
        for l in text.lines() {
            let t = l.trim();
            if t == "#[cfg(test)]" {
                pending_test = true;
            }
            if pending_test && t.starts_with("mod ") && t.ends_with('{') {
                break;
            }
            pending_test = pending_test && t == "#[cfg(test)]";
            line_starts.push(code.len());
            code.push_str(&code_of(l));
            code.push('\n');
        }
        let line_of = |at: usize| line_starts.partition_point(|&s| s <= at);
        let here_top = module.first().cloned().unwrap_or_default();

        for (at, p) in crate_paths(&code) {
            let place = format!("src/{shown}:{}", line_of(at));
            let first = &p[0];
            if macros.contains(first) {
                continue; // `#[macro_export]` macros are defined at the root
            }
            if module.is_empty() {
                continue; // lib.rs is the root: its re-exports are the public face
            }
            if !top_modules.contains(first) || first == "routing" {
                report.offences.push(format!(
                    "{place}: `crate::{}` goes through a crate-root re-export; name the defining module",
                    p.join("::")
                ));
                continue;
            }
            // Resolve the module part of the path.
            let mut target: Vec<String> = Vec::new();
            let mut rest = p.iter();
            for seg in rest.by_ref() {
                let mut next = target.clone();
                next.push(seg.clone());
                if src.files.contains_key(&next) {
                    target = next;
                } else {
                    // An item of `target` (or an inline module of its file).
                    let text = src.text(&target).unwrap_or("");
                    if !defines(text, seg) && reexports_ours(text, seg) {
                        report.offences.push(format!(
                            "{place}: `crate::{}` goes through a re-export in `{}`; name the module that defines `{seg}`",
                            p.join("::"),
                            target.join("::")
                        ));
                    }
                    break;
                }
            }
            let there_top = target[0].clone();
            match (rank(&here_top), rank(&there_top)) {
                (Some(a), Some(b)) if b > a || (a == b && here_top != there_top) => {
                    report.offences.push(format!(
                        "{place}: layer `{here_top}` imports `crate::{}` from `{there_top}`, which is not below it",
                        p.join("::")
                    ));
                }
                (None, _) => report.offences.push(format!(
                    "{place}: module `{here_top}` belongs to no layer (put it in a layer folder)"
                )),
                _ => {}
            }
            // Sibling edge: at the first segment where the two paths part.
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            let own_layout = common > 0 && OWN_LAYOUT.contains(&module[0].as_str());
            if common < module.len() && common < target.len() && !own_layout {
                edges
                    .entry((module[..=common].to_vec(), target[..=common].to_vec()))
                    .or_insert(place);
            }
        }
    }

    // Circles: any strongly connected pair among siblings (or top-level modules).
    let reach = |from: &Vec<String>| -> BTreeSet<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for (a, b) in edges.keys() {
                if *a == n && seen.insert(b.clone()) {
                    stack.push(b.clone());
                }
            }
        }
        seen
    };
    for ((a, b), place) in &edges {
        if reach(b).contains(a) {
            report.offences.push(format!(
                "{place}: `{}` imports `{}`, which imports `{}` back (a circle)",
                a.join("::"),
                b.join("::"),
                a.join("::")
            ));
        }
    }

    assert!(
        report.offences.is_empty(),
        "{} layering offence(s):\n{}",
        report.offences.len(),
        report.offences.join("\n")
    );
}

/// The parser finds what it has to: a grouped use-tree, an alias, `self`, `$crate` in macros.
#[test]
fn paths_are_read() {
    let code = "use crate::a::{b::C, d::{self, E as F}, G};\nlet x = $crate::m::n!(); y = crate::p::Q::new();";
    let got: Vec<String> = crate_paths(code)
        .into_iter()
        .map(|(_, p)| p.join("::"))
        .collect();
    assert_eq!(
        got,
        ["a::b::C", "a::d", "a::d::E", "a::G", "m::n", "p::Q::new"]
    );
    assert_eq!(
        code_of(r#"let s = "crate::x"; // crate::y"#),
        r#"let s = ""; "#
    );
    assert!(defines("pub(crate) struct Foo<T> {", "Foo"));
    assert!(!defines("pub struct FooBar;", "Foo"));
    assert!(!reexports_ours("mod ip;\npub use ip::{A, B};", "B"));
    assert!(reexports_ours("pub mod ip;\npub use ip::B;", "B"));
    assert!(!reexports_ours("pub use diesel::pg::Pg;", "Pg"));
    assert!(reexports_ours("pub use crate::x::Pg;", "Pg"));
}
