//! ARCHITECTURE.md: "no file cycles in `src/`". Reads every source file, resolves each
//! `crate::…` and `super::…` path to the file that defines it, and fails on any cycle,
//! between files and between top-level modules. A module's own `mod.rs` re-exporting its
//! children (`pub use child::X`) is the module's curated surface, not a dependency, so
//! relative paths are not followed; test modules (`#[cfg(test)] mod tests`) are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

fn collect(dir: &Path, root: &Path, out: &mut BTreeMap<Module, String>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("under src").with_extension("");
            let mut parts: Module = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                parts.clear();
            }
            out.insert(parts, std::fs::read_to_string(&path).expect("read"));
        }
    }
}

/// The source without `//` comments and without the trailing `#[cfg(test)] mod … { }`.
fn code_of(src: &str) -> String {
    let mut s = src.to_string();
    if let Some(i) = s.find("#[cfg(test)]\nmod ") {
        s.truncate(i);
    }
    s.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path written after `crate::` or `super::` (groups `{a, b::c}` expanded one level).
fn paths_in(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut out = Vec::new();
    for head in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(i) = rest.find(head) {
            let before = rest[..i].chars().last();
            let after = &rest[i + head.len()..];
            rest = after;
            if before.is_some_and(|c| is_ident(c) || c == ':') {
                continue;
            }
            let is_crate = head == "crate::";
            let mut segs = Vec::new();
            let mut tail = after;
            loop {
                let ident: String = tail.chars().take_while(|c| is_ident(*c)).collect();
                if ident.is_empty() {
                    break;
                }
                tail = &tail[ident.len()..];
                segs.push(ident);
                match tail.strip_prefix("::") {
                    Some(t) => tail = t,
                    None => break,
                }
            }
            if let Some(group) = tail.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let mut p = segs.clone();
                    p.extend(
                        item.trim()
                            .split("::")
                            .map(str::trim)
                            .filter(|s| !s.is_empty() && *s != "self")
                            .map(String::from),
                    );
                    out.push((is_crate, p));
                }
            }
            out.push((is_crate, segs));
        }
    }
    out
}

fn resolve(files: &BTreeMap<Module, String>, path: &[String]) -> Option<Module> {
    (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|m| files.contains_key(m))
}

fn graph(files: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut edges = BTreeMap::new();
    for (module, src) in files {
        let mut deps = BTreeSet::new();
        for (is_crate, segs) in paths_in(&code_of(src)) {
            let mut full: Module =
                if is_crate { Vec::new() } else { module[..module.len().saturating_sub(1)].to_vec() };
            full.extend(segs);
            if let Some(target) = resolve(files, &full)
                && &target != module
            {
                deps.insert(target);
            }
        }
        edges.insert(module.clone(), deps);
    }
    edges
}

/// Strongly connected components with more than one member (Tarjan).
fn cycles<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    struct T<'a, N: Ord> {
        edges: &'a BTreeMap<N, BTreeSet<N>>,
        index: BTreeMap<N, usize>,
        low: BTreeMap<N, usize>,
        stack: Vec<N>,
        on: BTreeSet<N>,
        out: Vec<Vec<N>>,
    }
    fn visit<N: Ord + Clone>(t: &mut T<'_, N>, v: &N) {
        let i = t.index.len();
        t.index.insert(v.clone(), i);
        t.low.insert(v.clone(), i);
        t.stack.push(v.clone());
        t.on.insert(v.clone());
        for w in t.edges.get(v).into_iter().flatten() {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(&w);
                let done = &w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn src_files() -> BTreeMap<Module, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    collect(&root, &root, &mut files);
    files
}

#[test]
fn no_two_source_files_depend_on_each_other() {
    let files = src_files();
    assert!(files.len() > 50, "found only {} source files", files.len());
    let found: Vec<String> =
        cycles(&graph(&files)).iter().map(|c| c.iter().map(|m| m.join("/")).collect::<Vec<_>>().join(" ⇄ ")).collect();
    assert!(found.is_empty(), "file cycles in src/:\n{}", found.join("\n"));
}

#[test]
fn no_two_top_level_modules_depend_on_each_other() {
    let files = src_files();
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, deps) in graph(&files) {
        let a = from.first().cloned().unwrap_or_else(|| "lib".into());
        for to in deps {
            let b = to.first().cloned().unwrap_or_else(|| "lib".into());
            if a != b {
                top.entry(a.clone()).or_default().insert(b);
            }
        }
    }
    let found: Vec<String> = cycles(&top).iter().map(|c| c.join(" ⇄ ")).collect();
    assert!(found.is_empty(), "module cycles in src/:\n{}", found.join("\n"));
}

#[test]
fn the_checker_sees_a_cycle_when_there_is_one() {
    let mut files = BTreeMap::new();
    files.insert(vec!["a".to_string()], "use crate::b::Thing;".to_string());
    files.insert(vec!["b".to_string()], "use crate::{a::Other, c};".to_string());
    files.insert(vec!["c".to_string()], "fn f() { super::a::g() }".to_string());
    let found = cycles(&graph(&files));
    let names = |c: &Vec<Module>| c.iter().map(|m| m.join("/")).collect::<Vec<_>>();
    assert_eq!(found.iter().map(names).collect::<Vec<_>>(), vec![vec!["a", "b", "c"]]);
    // `super::` from a top-level file is the crate root, and a path inside a comment or a
    // test module is not a dependency.
    files.insert(vec!["c".to_string()], "// crate::b\n#[cfg(test)]\nmod tests { use crate::b; }".to_string());
    files.insert(vec!["b".to_string()], "use crate::c;".to_string());
    assert!(cycles(&graph(&files)).is_empty());
}

/// Every file of `dir` (recursively) with extension `.rs`, concatenated.
fn rust_text_under(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.push_str(&rust_text_under(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).expect("read"));
        }
    }
    out
}

/// Whether `overlord::<path>` is named by `outside`, directly or in a `use overlord::…{…}` group.
fn named_outside(outside: &str, parent: &[String], name: &str) -> bool {
    let full = parent.iter().chain(std::iter::once(&name.to_string())).cloned().collect::<Vec<_>>().join("::");
    let direct = format!("overlord::{full}");
    if outside.match_indices(&direct).any(|(i, _)| !outside[i + direct.len()..].starts_with(is_ident)) {
        return true;
    }
    let group =
        if parent.is_empty() { "overlord::{".to_string() } else { format!("overlord::{}::{{", parent.join("::")) };
    outside.match_indices(&group).any(|(i, _)| {
        let rest = &outside[i + group.len()..];
        let inner = &rest[..rest.find('}').unwrap_or(rest.len())];
        inner.split(|c: char| !is_ident(c)).any(|w| w == name)
    })
}

#[test]
fn a_public_module_is_one_something_outside_the_library_uses() {
    // ARCHITECTURE.md, "narrow visibility": a module the binary, the tests and the benches
    // never name is `pub(crate)` (or private), so its items are not API by accident and
    // dead code in it is reported.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let outside = [
        rust_text_under(&root.join("tests")),
        rust_text_under(&root.join("benches")),
        std::fs::read_to_string(root.join("src/main.rs")).expect("main.rs"),
    ]
    .concat();
    let mut unused = Vec::new();
    for (module, text) in src_files() {
        for line in text.lines() {
            let Some(name) = line.trim().strip_prefix("pub mod ").and_then(|r| r.strip_suffix(';')) else { continue };
            if !named_outside(&outside, &module, name) {
                unused.push([module.clone(), vec![name.to_string()]].concat().join("::"));
            }
        }
    }
    assert!(unused.is_empty(), "public modules nothing outside the library names (make them pub(crate)): {unused:?}");
}
