//! DESIGN.md: "Imports run one way: no two modules import each other." Every crate of the
//! workspace is read as text; each `crate::…` path (in `use` lines and inline, braces
//! included) and each `super::…` path that leaves a top-level module is an edge between
//! two top-level modules. The test fails on any circle, and names it.
#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn no_top_level_modules_refer_to_each_other_in_any_crate() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (mut checked, mut circles) = (0, Vec::new());
    for entry in fs::read_dir(&crates).expect("the crates directory") {
        let crate_dir = entry.expect("a crate").path();
        let source = crate_dir.join("src");
        if !source.is_dir() {
            continue;
        }
        if let Some(circle) = circle(&graph(&source)) {
            let name =
                crate_dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            circles.push(format!("crates/{name}: {}", circle.join(" → ")));
        }
        checked += 1;
    }
    assert!(checked >= 6, "the workspace's crates were found ({checked})");
    assert!(circles.is_empty(), "modules that refer to each other in a circle:\n{}", circles.join("\n"));
}

/// DESIGN.md: the protocol crate has "no SQL and no table names". Its source holds no
/// statement: table and column names live in the store layer (`crates/store-sql/`, the `oauth2u-store-sql` crate).
#[test]
fn the_protocol_crate_holds_no_sql() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src");
    let statements = ["SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "CREATE TABLE"];
    let mut found = Vec::new();
    for file in rust_files(&source) {
        let text = fs::read_to_string(&file).expect("a source file");
        for (number, line) in text.lines().enumerate() {
            // Statements are string literals; prose in comments may name SQL words.
            let code = strip_comment(line);
            if code.contains('"') && statements.iter().any(|statement| code.contains(statement)) {
                found.push(format!("{}:{}: {}", file.display(), number + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "SQL in the protocol crate:\n{}", found.join("\n"));
}

/// The checker itself finds what it is for: a circle through braces, inline paths and `super`.
#[test]
fn the_checker_sees_grouped_inline_and_super_paths() {
    let mut graph = Graph::new();
    add_edges(&mut graph, "a", true, "use crate::{b::Thing, c};\nfn f() { crate::d::g(); }");
    add_edges(&mut graph, "b", true, "use super::a::X; // crate::e in a comment is no edge");
    assert_eq!(graph["a"], BTreeSet::from(["b".into(), "c".into(), "d".into()]));
    assert_eq!(graph["b"], BTreeSet::from(["a".into()]));
    assert_eq!(circle(&graph), Some(vec!["a".into(), "b".into(), "a".into()]));
    let mut nested = Graph::new();
    add_edges(&mut nested, "a", false, "use super::b;");
    assert!(nested.get("a").is_none_or(BTreeSet::is_empty), "super inside a module stays inside it");
}

/// The edges between the top-level modules under `source`.
fn graph(source: &Path) -> Graph {
    let mut graph = Graph::new();
    for file in rust_files(source) {
        let relative = file.strip_prefix(source).expect("under src");
        let parts: Vec<String> =
            relative.iter().map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned()).collect();
        if parts.len() == 1 && matches!(parts[0].as_str(), "lib" | "main") {
            continue;
        }
        // `super` leaves the module from its own file (`x.rs` or `x/mod.rs`) only.
        let top_level_file = parts.len() == 1 || (parts.len() == 2 && parts[1] == "mod");
        let text = fs::read_to_string(&file).expect("a source file");
        add_edges(&mut graph, &parts[0], top_level_file, &text);
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for targets in graph.values_mut() {
        targets.retain(|target| modules.contains(target));
    }
    graph
}

fn rust_files(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(directory).expect("a source directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files
}

/// Adds the edges from `module` that `text` shows.
fn add_edges(graph: &mut Graph, module: &str, top_level_file: bool, text: &str) {
    let code: String = text.lines().map(|line| strip_comment(line).to_owned() + "\n").collect();
    let mut targets = BTreeSet::new();
    for (prefix, applies) in [("crate::", true), ("super::", top_level_file)] {
        if !applies {
            continue;
        }
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            let preceded_by_identifier =
                rest[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_');
            rest = &rest[at + prefix.len()..];
            if preceded_by_identifier {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                targets.extend(group_heads(group));
            } else {
                targets.insert(identifier(rest).to_owned());
            }
        }
    }
    let entry = graph.entry(module.to_owned()).or_default();
    entry.extend(
        targets.into_iter().filter(|target| !target.is_empty() && target != module && target != "self"),
    );
}

/// The first segment of each path in a `{…}` group (up to its closing brace).
fn group_heads(group: &str) -> Vec<String> {
    let (mut depth, mut heads, mut expecting) = (0usize, Vec::new(), true);
    for (index, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expecting = true,
            c if expecting && depth == 0 && (c.is_alphabetic() || c == '_') => {
                heads.push(identifier(&group[index..]).to_owned());
                expecting = false;
            }
            _ => {}
        }
    }
    heads
}

fn identifier(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// A line without its `//` comment; `//` inside a string (a URL) is kept.
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with("//") {
        return "";
    }
    let mut in_string = false;
    let bytes = line.as_bytes();
    for index in 0..bytes.len() {
        match bytes[index] {
            b'"' if index == 0 || bytes[index - 1] != b'\\' => in_string = !in_string,
            b'/' if !in_string && bytes.get(index + 1) == Some(&b'/') => return &line[..index],
            _ => {}
        }
    }
    line
}

/// A circle of modules, first module repeated at the end; none if the graph has none.
fn circle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        graph: &Graph,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|seen| seen == node) {
            let mut circle = path[start..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(graph, next, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(graph, node, &mut Vec::new(), &mut done))
}
