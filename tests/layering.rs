//! The crate's layers, checked from its source: low layers never reach up, and the analysis
//! modules never import each other in a circle (issue 15, item 4).
//!
//! A circle between modules means neither can be read, tested or moved without the other;
//! a low layer that names a high one drags the whole pipeline into every use of the low one
//! (the reader once took facility categories, the elevation tiles hashed themselves through
//! the pipeline). The check reads the files under `src/` as text, so it costs no build of the
//! crate and names the file and line of every offending path.
//!
//! What counts as a use: a path `crate::X…` (also inside `crate::{X, Y::…}`) anywhere outside
//! a `//` comment, test modules included; inside `src/analysis/`, also `super::X…`. Doc
//! links are comments, so a low layer may still point its reader at a high one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules at the bottom: they know the error type, geometry, the OSM data and the graph,
/// and nothing of facilities, analyses, outputs or jobs.
const LOW: &[&str] = &["error", "hashing", "frame", "spatial", "osm", "graph"];

/// Modules built on the low ones; no low module may use any of them.
const HIGH: &[&str] = &[
    "facilities",
    "analysis",
    "output",
    "siting",
    "pipeline",
    "config",
    "batch",
    "cli",
    "tile",
    "serve",
];

/// Pairs of top-level modules that still import each other, each a known debt to pay off;
/// a new pair fails the test, and so does a listed pair once it is gone (remove it here).
/// None is left: `frame` and `analysis::targets` moved below their users.
const KNOWN_CIRCLES: &[(&str, &str)] = &[];

/// One use of module `to` by module `from`, at `file:line`.
#[derive(Debug, Clone)]
struct Use {
    from: String,
    to: String,
    file: String,
    line: usize,
}

impl std::fmt::Display for Use {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {} uses {}",
            self.file, self.line, self.from, self.to
        )
    }
}

/// The first identifier of each path named after `prefix` in `code`, with its line (from 1):
/// `prefix` then `name`, or `prefix` then `{a::b, c}`, giving `a` and `c`.
fn names_after(code: &str, prefix: &str) -> Vec<(String, usize)> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    let mut rest = code;
    let mut offset = 0;
    while let Some(at) = rest.find(prefix) {
        let start = offset + at;
        // `prefix` must start a path, not end another identifier (`supercrate::`)
        let before = code[..start].chars().next_back();
        let after = &code[start + prefix.len()..];
        let line = code[..start].matches('\n').count() + 1;
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            if let Some(group) = after.strip_prefix('{') {
                let mut depth = 0usize;
                let mut item_start = true;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => item_start = true,
                        c if c.is_whitespace() => {}
                        _ if item_start => {
                            item_start = false;
                            let name = ident(&group[i..]);
                            if !name.is_empty() {
                                found.push((name, line));
                            }
                        }
                        _ => {}
                    }
                }
            } else {
                let name = ident(after);
                if !name.is_empty() {
                    found.push((name, line));
                }
            }
        }
        offset = start + prefix.len();
        rest = &code[offset..];
    }
    found
}

/// `source` without `//` comments (doc comments included), lines kept in place.
fn without_comments(source: &str) -> String {
    source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every use between top-level modules, and between the modules of `analysis`, in `files`
/// (paths relative to `src/`, with their text).
fn uses(files: &[(String, String)]) -> (Vec<Use>, Vec<Use>) {
    let analysis: BTreeSet<String> = files
        .iter()
        .filter_map(|(p, _)| p.strip_prefix("analysis/")?.strip_suffix(".rs"))
        .filter(|m| *m != "mod")
        .map(str::to_string)
        .collect();
    let (mut top, mut inner) = (Vec::new(), Vec::new());
    for (path, source) in files {
        let code = without_comments(source);
        let module = path
            .split('/')
            .next()
            .unwrap_or(path)
            .trim_end_matches(".rs");
        let file = format!("src/{path}");
        for (to, line) in names_after(&code, "crate::") {
            if to != module {
                top.push(Use {
                    from: module.to_string(),
                    to: to.clone(),
                    file: file.clone(),
                    line,
                });
            }
        }
        let Some(me) = path
            .strip_prefix("analysis/")
            .and_then(|m| m.strip_suffix(".rs"))
            .filter(|m| *m != "mod")
        else {
            continue;
        };
        let mut inside = names_after(&code, "crate::analysis::");
        inside.extend(names_after(&code, "super::"));
        for (to, line) in inside {
            if to != me && analysis.contains(&to) {
                inner.push(Use {
                    from: me.to_string(),
                    to,
                    file: file.clone(),
                    line,
                });
            }
        }
    }
    (top, inner)
}

/// Every problem with the layering of `files`, one line each; empty when there is none.
fn problems(files: &[(String, String)]) -> Vec<String> {
    let (top, inner) = uses(files);
    let mut found: Vec<String> = top
        .iter()
        .filter(|u| LOW.contains(&u.from.as_str()) && HIGH.contains(&u.to.as_str()))
        .map(|u| format!("{u}: a low layer may not use a high one"))
        .collect();

    let mut pairs: BTreeMap<(String, String), &Use> = BTreeMap::new();
    for u in &top {
        pairs.entry((u.from.clone(), u.to.clone())).or_insert(u);
    }
    let mut circles = BTreeSet::new();
    for ((a, b), u) in &pairs {
        if let Some(back) = pairs.get(&(b.clone(), a.clone())) {
            let key = if a < b { (a, b) } else { (b, a) };
            circles.insert((key.0.clone(), key.1.clone()));
            if a < b && !KNOWN_CIRCLES.contains(&(a.as_str(), b.as_str())) {
                found.push(format!("{u} and {back}: a circle between {a} and {b}"));
            }
        }
    }
    for (a, b) in KNOWN_CIRCLES {
        if !circles.contains(&(a.to_string(), b.to_string())) {
            found.push(format!(
                "{a} and {b} no longer import each other: remove them from KNOWN_CIRCLES"
            ));
        }
    }

    if let Some(cycle) = find_cycle(&inner) {
        let path: Vec<String> = cycle.iter().map(ToString::to_string).collect();
        found.push(format!(
            "a circle among analysis modules: {}",
            path.join("; then ")
        ));
    }
    found
}

/// A circle of uses, if the graph of `uses` has one: each use leads to the next, the last
/// back to the first.
fn find_cycle(uses: &[Use]) -> Option<Vec<Use>> {
    let mut out: BTreeMap<&str, Vec<&Use>> = BTreeMap::new();
    for u in uses {
        out.entry(u.from.as_str()).or_default().push(u);
    }
    /// Depth first from the last of `nodes`; `path[k]` leads from `nodes[k]` to `nodes[k + 1]`.
    fn walk<'a>(
        out: &BTreeMap<&'a str, Vec<&'a Use>>,
        nodes: &mut Vec<&'a str>,
        path: &mut Vec<&'a Use>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<Use>> {
        let at = *nodes.last().expect("a start");
        for &u in out.get(at).into_iter().flatten() {
            if let Some(i) = nodes.iter().position(|n| *n == u.to) {
                return Some(path[i..].iter().chain([&u]).map(|&s| s.clone()).collect());
            }
            if done.contains(u.to.as_str()) {
                continue;
            }
            nodes.push(&u.to);
            path.push(u);
            if let Some(cycle) = walk(out, nodes, path, done) {
                return Some(cycle);
            }
            nodes.pop();
            path.pop();
        }
        done.insert(at);
        None
    }
    let mut done = BTreeSet::new();
    out.keys()
        .find_map(|&start| walk(&out, &mut vec![start], &mut Vec::new(), &mut done))
}

/// Every `.rs` file under `dir`, relative to `root`, with its text, by path.
fn read_tree(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_tree(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let rel = path.strip_prefix(root).expect("under src");
            files.push((rel.to_string_lossy().replace('\\', "/"), text));
        }
    }
}

#[test]
fn low_layers_never_reach_up_and_nothing_goes_in_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&src, &src, &mut files);
    assert!(files.len() > 20, "read the crate's sources");
    let found = problems(&files);
    assert!(found.is_empty(), "layering:\n{}", found.join("\n"));
}

/// The check itself fails where it should: on a low layer naming a high one (plain and
/// grouped paths), on two analysis modules importing each other (directly or through a
/// third), and on a new top-level circle, naming file and line; comments do not count.
#[test]
fn the_check_catches_what_it_should() {
    // a small clean crate; `extra` adds files or replaces them
    let clean = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = [
            ("lib.rs", "pub mod analysis;"),
            ("analysis/mod.rs", "pub mod a;\npub mod b;\npub mod c;"),
            ("analysis/a.rs", "use super::b::B;\n"),
            ("analysis/b.rs", "use crate::spatial::LocalFrame;\n"),
            ("analysis/c.rs", "use super::{a::A, sum};\n"),
            ("config.rs", "use crate::analysis::x;\n"),
            ("analysis/d.rs", "use crate::analysis::targets::Targets;\n"),
            ("graph/build.rs", "use crate::frame::LocalFrame;\n"),
            ("spatial/snap.rs", "use crate::graph::WalkGraph;\n"),
            (
                "osm/read.rs",
                "/// see [`crate::facilities::categories`]\nuse super::Tags; // not crate::pipeline\n",
            ),
        ]
        .iter()
        .filter(|(p, _)| !extra.iter().any(|(q, _)| q == p))
        .chain(extra)
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect();
        files.sort();
        files
    };
    assert_eq!(problems(&clean(&[])), Vec::<String>::new());

    let up = problems(&clean(&[(
        "osm/areas.rs",
        "\nuse crate::{error::Result, facilities::Category};\n",
    )]));
    assert_eq!(up.len(), 1, "{up:?}");
    assert!(
        up[0].starts_with("src/osm/areas.rs:2: osm uses facilities"),
        "{up:?}"
    );

    let two = problems(&clean(&[(
        "analysis/b.rs",
        "use crate::spatial::LocalFrame;\nuse crate::analysis::a::A;\n",
    )]));
    assert!(
        two.len() == 1 && two[0].contains("src/analysis/b.rs:2: b uses a"),
        "{two:?}"
    );

    let three = problems(&clean(&[(
        "analysis/b.rs",
        "fn f() { let _ = super::c::C; }\n",
    )]));
    assert!(
        three.len() == 1 && three[0].contains("src/analysis/b.rs:1: b uses c"),
        "{three:?}"
    );

    let circle = problems(&clean(&[
        ("error.rs", "use crate::hashing::x;\n"),
        ("hashing.rs", "use crate::error::Result;\n"),
    ]));
    assert!(
        circle.len() == 1 && circle[0].contains("a circle between error and hashing"),
        "{circle:?}"
    );
}
