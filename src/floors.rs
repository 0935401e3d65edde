//! The floors checked, not only drawn: the import graph read from the sources, with no
//! circle between rooms (the top-level modules under `src/`) nor between files, so
//! every arrow points down (a room's floor is its longest path to the ground).
//!
//! An arrow is what a file names: every `crate::…` path (in `use` lines and in code,
//! `{…}` groups opened), resolved to the file of the longest module it names, and a
//! `mod.rs`'s paths through its own children (`checks::job_count`). A child's
//! `super::` reaching its parent is not read: that is the family a folder is. Test
//! modules are left out: a test may reach anything to set up its fixtures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module by its path below the crate (`["image", "oci"]`); the crate root is empty.
type Module = Vec<String>;
type Graph = BTreeMap<Module, BTreeSet<Module>>;

fn module_files(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut files = BTreeMap::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let Some(stem) = relative.strip_suffix(".rs") else {
                continue;
            };
            // The binary is muslbuild's user, not a part; `tests.rs` files are test
            // modules; this file names `crate::` in its own checks.
            if matches!(stem, "main" | "floors") || stem.ends_with("tests") {
                continue;
            }
            let mut module: Module = stem.split('/').map(String::from).collect();
            if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                module.pop();
            }
            files.insert(module, path);
        }
    }
    files
}

/// The file without comments and without its test module (written last, by custom).
fn product_code(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let opens_test_module = line.trim() == "#[cfg(test)]"
            && lines.get(i + 1).is_some_and(|next| {
                let next = next.trim();
                (next.starts_with("mod ") || next.starts_with("pub(crate) mod "))
                    && next.ends_with('{')
            });
        if opens_test_module {
            break;
        }
        out.push_str(line.split("//").next().unwrap_or_default());
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text[at..]` starts a path (not the tail of `x::name` or of `other_name`).
fn starts_path(text: &str, at: usize) -> bool {
    !text[..at].ends_with(|c: char| is_ident(c) || c == ':')
}

/// The paths spelled at the start of `text` after a `::`: `a::b`, `a::{b, c::{d}}`,
/// relative to what came before.
fn paths_after(text: &str) -> Vec<Module> {
    let mut segments = Module::new();
    let mut rest = text;
    loop {
        let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        if name.is_empty() {
            if let Some(group) = rest.strip_prefix('{') {
                return group_items(group)
                    .into_iter()
                    .flat_map(|item| paths_after(&item))
                    .map(|tail| segments.iter().cloned().chain(tail).collect())
                    .collect();
            }
            break;
        }
        rest = &rest[name.len()..];
        if name != "self" {
            segments.push(name);
        }
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    vec![segments]
}

/// The comma-separated items of a `{…}` group whose opening brace is already read.
fn group_items(group: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut depth = 0;
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(String::new());
                continue;
            }
            _ => {}
        }
        items.last_mut().unwrap().push(c);
    }
    items
        .into_iter()
        .map(|i| i.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|i| !i.is_empty())
        .collect()
}

/// The longest module `path` names (`crate::image::oci::index_json` → `image::oci`).
fn resolve(path: &[String], modules: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| modules.contains_key(m))
}

/// The modules `module`'s code points at, itself left out.
fn arrows(text: &str, module: &Module, modules: &BTreeMap<Module, PathBuf>) -> BTreeSet<Module> {
    let code = product_code(text);
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        if starts_path(&code, at) {
            for path in paths_after(&code[at + "crate::".len()..]) {
                out.extend(resolve(&path, modules));
            }
        }
    }
    let children = code.lines().filter_map(|line| {
        let line = line.trim();
        let declared = line
            .strip_prefix("pub(crate) mod ")
            .or_else(|| line.strip_prefix("pub mod "))
            .or_else(|| line.strip_prefix("mod "))?;
        declared.strip_suffix(';').map(str::to_string)
    });
    for child in children.collect::<Vec<_>>() {
        let through_child = code
            .match_indices(&format!("{child}::"))
            .any(|(at, _)| starts_path(&code, at));
        let mut path = module.clone();
        path.push(child);
        if through_child && modules.contains_key(&path) {
            out.insert(path);
        }
    }
    out.remove(module);
    out
}

/// Every circle of `graph` (its strongly connected parts of more than one node), each
/// as one walk round it that starts and ends at the same node.
fn circles(graph: &Graph) -> Vec<Vec<Module>> {
    let mut out = Vec::new();
    let mut placed: BTreeSet<Module> = BTreeSet::new();
    for start in graph.keys() {
        if placed.contains(start) {
            continue;
        }
        let reach_from = |from: &Module| -> BTreeSet<Module> {
            let mut seen = BTreeSet::new();
            let mut queue = vec![from.clone()];
            while let Some(node) = queue.pop() {
                for next in graph.get(&node).into_iter().flatten() {
                    if seen.insert(next.clone()) {
                        queue.push(next.clone());
                    }
                }
            }
            seen
        };
        if !reach_from(start).contains(start) {
            continue;
        }
        let part: BTreeSet<Module> = reach_from(start)
            .into_iter()
            .filter(|n| reach_from(n).contains(start))
            .collect();
        out.push(walk_round(start, &part, graph));
        placed.extend(part);
    }
    out
}

/// The shortest walk from `start` back to `start` inside `part`.
fn walk_round(start: &Module, part: &BTreeSet<Module>, graph: &Graph) -> Vec<Module> {
    let mut came_from: BTreeMap<Module, Module> = BTreeMap::new();
    let mut frontier = vec![start.clone()];
    while !frontier.is_empty() {
        let mut next_frontier = Vec::new();
        for node in frontier {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    let mut walk = vec![start.clone(), node.clone()];
                    while let Some(before) = came_from.get(walk.last().unwrap()) {
                        walk.push(before.clone());
                    }
                    walk.reverse();
                    return walk;
                }
                if part.contains(next) && !came_from.contains_key(next) {
                    came_from.insert(next.clone(), node.clone());
                    next_frontier.push(next.clone());
                }
            }
        }
        frontier = next_frontier;
    }
    unreachable!("{start:?} is on a circle")
}

fn room(module: &Module) -> Module {
    module.iter().take(1).cloned().collect()
}

/// Each room's floor: the longest path down to a room that imports none.
fn floors(rooms: &Graph) -> BTreeMap<Module, usize> {
    fn floor(room: &Module, rooms: &Graph, known: &mut BTreeMap<Module, usize>) -> usize {
        if let Some(floor) = known.get(room) {
            return *floor;
        }
        let below = rooms.get(room).into_iter().flatten();
        let floor = below.map(|r| 1 + floor(r, rooms, known)).max().unwrap_or(0);
        known.insert(room.clone(), floor);
        floor
    }
    let mut known = BTreeMap::new();
    for room in rooms.keys() {
        floor(room, rooms, &mut known);
    }
    known
}

struct House {
    files: BTreeMap<Module, PathBuf>,
    file_arrows: Graph,
    room_arrows: Graph,
}

impl House {
    fn read(src: &Path) -> House {
        let files = module_files(src);
        let mut file_arrows = Graph::new();
        let mut room_arrows = Graph::new();
        for (module, path) in &files {
            let text = std::fs::read_to_string(path).unwrap();
            let to = arrows(&text, module, &files);
            if !module.is_empty() {
                let rooms = room_arrows.entry(room(module)).or_default();
                rooms.extend(to.iter().map(room).filter(|r| *r != room(module)));
            }
            file_arrows.insert(module.clone(), to);
        }
        House {
            files,
            file_arrows,
            room_arrows,
        }
    }

    fn file_name(&self, module: &Module) -> String {
        let path = &self.files[module];
        let src = path.ancestors().find(|a| a.ends_with("src")).unwrap();
        format!("src/{}", path.strip_prefix(src).unwrap().display())
    }

    /// A file of `from` that imports a file of `to`, both named.
    fn witness(&self, from: &Module, to: &Module) -> String {
        self.file_arrows
            .iter()
            .filter(|(m, _)| !m.is_empty() && room(m) == *from)
            .find_map(|(m, targets)| {
                let target = targets.iter().find(|t| room(t) == *to)?;
                Some(format!(
                    "{} imports {}",
                    self.file_name(m),
                    self.file_name(target)
                ))
            })
            .unwrap_or_default()
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for circle in circles(&self.room_arrows) {
            let names: Vec<String> = circle.iter().map(|r| r.join("")).collect();
            let because: Vec<String> = circle
                .windows(2)
                .map(|w| self.witness(&w[0], &w[1]))
                .collect();
            problems.push(format!(
                "rooms in a circle: {} ({})",
                names.join(" -> "),
                because.join("; ")
            ));
        }
        for circle in circles(&self.file_arrows) {
            let names: Vec<String> = circle.iter().map(|m| self.file_name(m)).collect();
            problems.push(format!("files in a circle: {}", names.join(" -> ")));
        }
        if problems.is_empty() {
            let floors = floors(&self.room_arrows);
            for (from, tos) in &self.room_arrows {
                for to in tos.iter().filter(|to| floors[*to] >= floors[from]) {
                    problems.push(format!(
                        "an arrow up: {} ({})",
                        from.join(""),
                        self.witness(from, to)
                    ));
                }
            }
        }
        problems
    }
}

#[test]
fn no_circle_between_rooms_or_files_and_no_arrow_up() {
    let house = House::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        house.room_arrows.len() > 10,
        "the rooms were not read: {:?}",
        house.room_arrows.keys()
    );
    let problems = house.problems();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_circle_is_named_file_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("cli")).unwrap();
    std::fs::create_dir_all(src.join("sys")).unwrap();
    let files = [
        ("lib.rs", "pub mod cli;\npub mod sys;\n"),
        (
            "cli/mod.rs",
            "mod checks;\nmod args;\npub(crate) use args::*;\nfn run() { checks::jobs(); }\n",
        ),
        ("cli/args.rs", "pub struct Jobs;\n"),
        (
            "cli/checks.rs",
            "use crate::cli::{Jobs, other::{Thing}};\nuse crate::sys::fs;\n",
        ),
        (
            "sys/fs.rs",
            "// crate::cli::Jobs in a comment is no arrow\nfn f() { crate::cli::args::Jobs; }\n#[cfg(test)]\nmod tests {\n    use crate::cli::checks;\n}\n",
        ),
        ("sys/mod.rs", "pub mod fs;\n"),
    ];
    for (name, text) in files {
        std::fs::write(src.join(name), text).unwrap();
    }
    let house = House::read(&src);
    let problems = house.problems();
    assert!(
        problems.contains(
            &"files in a circle: src/cli/mod.rs -> src/cli/checks.rs -> src/cli/mod.rs".to_string()
        ),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("rooms in a circle: cli -> sys -> cli")
                && p.contains("src/sys/fs.rs imports src/cli/args.rs")),
        "{problems:#?}"
    );
}

#[test]
fn groups_open_into_paths() {
    let paths = paths_after("a::{b, c::{d, self}, e as f, *};");
    let names: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(names, ["a::b", "a::c::d", "a::c", "a::e", "a"]);
}
