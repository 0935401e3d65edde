//! Reading a Go package the way `go build` will see it, without running `go`: its
//! folder, module, name, whether it is vendored, and whether it uses cgo.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One Go command as the user named it; paths are absolute.
#[derive(Clone, Debug)]
pub(crate) struct GoProgram {
    /// The artifact's name: the last element of the import path (without a `/vN` major
    /// version suffix), the first file's stem for `main.go`, or `-o`.
    pub(crate) name: String,
    /// Where `go build` runs: the module root, else the package folder.
    pub(crate) dir: PathBuf,
    /// What `go build` gets: `./cmd/server`, `.`, or the file names.
    pub(crate) package: Vec<OsString>,
    /// `vendor/modules.txt` exists at the module root: build with `-mod=vendor`.
    pub(crate) vendored: bool,
    /// The main module's root folder and path (`go.mod`'s `module`), if there is one.
    pub(crate) module: Option<(PathBuf, String)>,
    /// The first file that imports "C": without `--cgo` such a package usually cannot
    /// build, and Go's own message ("build constraints exclude all Go files") does not
    /// say why.
    pub(crate) cgo_file: Option<String>,
}

/// Whether `input` names Go: a `.go` file, or a folder holding `.go` files or a `go.mod`.
pub(crate) fn is_go_input(input: &Path, cwd: &Path) -> bool {
    let path = cwd.join(input);
    if path.is_file() {
        return path.extension().is_some_and(|e| e == "go");
    }
    path.join("go.mod").is_file() || !go_files(&path).is_empty()
}

/// Reads a package the way `go build` will see it, without running `go` (a `go list`
/// would double the overhead of a warm build).
pub(crate) fn package(inputs: &[PathBuf], cwd: &Path) -> Result<GoProgram> {
    let first = inputs.first().ok_or_else(|| {
        Error::usage(
            "no Go package given",
            "name a folder (`.`, `./cmd/server`) or main .go files",
        )
    })?;
    let first_abs = cwd.join(first);
    if !first_abs.exists() {
        return Err(Error::MissingSource {
            path: first.clone(),
        });
    }
    if first_abs.is_file() {
        return files_package(inputs, cwd);
    }
    if inputs.len() > 1 {
        return Err(Error::usage(
            "give one Go package folder per artifact",
            "build several commands by naming them in a muslbuild.toml, or run muslbuild once per package",
        ));
    }
    let dir = normalize(&first_abs);
    let files = go_files(&dir);
    if files.is_empty() {
        let reason = if dir.join("go.mod").is_file() {
            "its go.mod is there but the folder has no .go files (is the command in ./cmd/<name>?)"
                .to_string()
        } else {
            "it has no .go files".to_string()
        };
        return Err(Error::NotGoPackage {
            path: first.clone(),
            reason,
        });
    }
    check_main(first, &files)?;
    let root = module_root(&dir);
    let module = root.as_deref().and_then(module_path);
    let main_module = root.clone().zip(module.clone());
    let (run_dir, rel) = match &root {
        Some(root) => (
            root.clone(),
            dir.strip_prefix(root)
                .unwrap_or(Path::new(""))
                .to_path_buf(),
        ),
        None => (dir.clone(), PathBuf::new()),
    };
    let package = if rel.as_os_str().is_empty() {
        OsString::from(".")
    } else {
        Path::new(".").join(&rel).into_os_string()
    };
    let import_path = match &module {
        Some(m) if rel.as_os_str().is_empty() => m.clone(),
        Some(m) => format!("{m}/{}", rel.display()),
        None => dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "main".into()),
    };
    Ok(GoProgram {
        name: name_from_import_path(&import_path),
        vendored: root
            .as_ref()
            .is_some_and(|r| r.join("vendor").join("modules.txt").is_file()),
        dir: run_dir,
        package: vec![package],
        module: main_module,
        cgo_file: cgo_file(&files),
    })
}

fn files_package(inputs: &[PathBuf], cwd: &Path) -> Result<GoProgram> {
    let mut dir: Option<PathBuf> = None;
    let mut names = Vec::new();
    for input in inputs {
        let path = normalize(&cwd.join(input));
        if !path.is_file() {
            return Err(Error::MissingSource {
                path: input.clone(),
            });
        }
        if path.extension().is_none_or(|e| e != "go") {
            return Err(Error::NotGoPackage {
                path: input.clone(),
                reason: "Go sources end in `.go`".into(),
            });
        }
        let parent = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        if dir.as_ref().is_some_and(|d| *d != parent) {
            return Err(Error::usage(
                "the .go files of one command must be in one folder",
                "name the package folder instead (e.g. `./cmd/server`)",
            ));
        }
        dir = Some(parent);
        names.push(path.file_name().expect("a file").to_os_string());
    }
    let dir = dir.expect("at least one input");
    let files: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    check_main(&inputs[0], &files)?;
    let root = module_root(&dir);
    // `go build a.go b.go` names the result after the first file.
    let name = Path::new(&names[0])
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "main".into());
    Ok(GoProgram {
        name,
        vendored: root
            .as_ref()
            .is_some_and(|r| r.join("vendor").join("modules.txt").is_file()),
        module: root.clone().zip(root.as_deref().and_then(module_path)),
        dir,
        package: names,
        cgo_file: cgo_file(&files),
    })
}

/// `./a/../b` -> `./b` without touching the file system's symlinks.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The non-test `.go` files of a folder, sorted.
fn go_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| e == "go")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with("_test.go"))
        })
        .collect();
    files.sort();
    files
}

fn cgo_file(files: &[PathBuf]) -> Option<String> {
    files.iter().find_map(|file| {
        let text = std::fs::read_to_string(file).ok()?;
        let imports_c = text.lines().any(|l| {
            let l = l.trim();
            l == "import \"C\"" || l == "\"C\""
        });
        imports_c.then(|| file.file_name()?.to_str().map(str::to_string))?
    })
}

fn check_main(input: &Path, files: &[PathBuf]) -> Result<()> {
    let mut names = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(Error::io("cannot read", file))?;
        match package_clause(&text) {
            Some("main") => return Ok(()),
            Some(name) => names.push(name.to_string()),
            None => {}
        }
    }
    names.sort();
    names.dedup();
    let reason = match names.as_slice() {
        [] => "its .go files have no package clause".to_string(),
        [name] => {
            format!("it is the library package `{name}`; only `package main` builds an executable")
        }
        many => format!("it holds packages {}, none of them `main`", many.join(", ")),
    };
    Err(Error::NotGoPackage {
        path: input.to_path_buf(),
        reason,
    })
}

/// The name in a file's `package` clause, skipping comments before it.
pub(crate) fn package_clause(text: &str) -> Option<&str> {
    let mut in_block = false;
    for line in text.lines() {
        let mut line = line.trim();
        if in_block {
            match line.find("*/") {
                Some(end) => {
                    in_block = false;
                    line = line[end + 2..].trim();
                }
                None => continue,
            }
        }
        while let Some(rest) = line.strip_prefix("/*") {
            match rest.find("*/") {
                Some(end) => line = rest[end + 2..].trim(),
                None => {
                    in_block = true;
                    line = "";
                }
            }
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let name = line.strip_prefix("package")?;
        if !name.starts_with(char::is_whitespace) {
            return None;
        }
        return name
            .split(|c: char| c.is_whitespace() || c == ';' || c == '/')
            .find(|s| !s.is_empty());
    }
    None
}

fn module_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join("go.mod").is_file())
        .map(Path::to_path_buf)
}

/// The `module` path of a `go.mod`.
fn module_path(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join("go.mod")).ok()?;
    let mut module = None;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if let Some(rest) = line.strip_prefix("module") {
            module = Some(
                rest.trim()
                    .trim_matches(|c| c == '"' || c == '`')
                    .to_string(),
            )
            .filter(|m| !m.is_empty());
        }
    }
    module
}

/// `example.com/server/v2` -> `server`, the name `go build` and `go install` give it.
pub(crate) fn name_from_import_path(path: &str) -> String {
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() > 1
        && let Some(last) = parts.last()
        && let Some(n) = last.strip_prefix('v')
        && n.parse::<u32>().is_ok_and(|n| n >= 2)
    {
        parts.pop();
    }
    parts
        .last()
        .map(|s| s.to_string())
        .unwrap_or_else(|| "main".into())
}

/// Every file a build of `program` reads that nothing else pins, found without running
/// Go: each main-module package it imports, transitively (the folder, so that a file added
/// to it is noticed, and its source files). Packages outside the main module come from
/// the standard library or the module cache, pinned by Go's version and `go.sum`, which
/// the cache key covers. Files a build constraint leaves out are included: at worst a
/// needless rebuild. `None` where reading files cannot be sure (`//go:embed`, a vendor
/// folder, a workspace, a local `replace`, a nested module, `-modfile`/`-overlay`, or
/// `packages_elsewhere`: the environment's `GOWORK` or GOPATH mode): the caller asks
/// `go list`.
pub(crate) fn local_files(
    program: &GoProgram,
    go_flags: &[&str],
    packages_elsewhere: bool,
) -> Option<Vec<PathBuf>> {
    let (root, module) = program.module.as_ref()?;
    if program.vendored
        || packages_elsewhere
        || go_flags
            .iter()
            .any(|f| f.contains("-modfile") || f.contains("-overlay"))
    {
        return None;
    }
    if program.dir.ancestors().any(|d| d.join("go.work").exists()) {
        return None;
    }
    let go_mod = std::fs::read_to_string(root.join("go.mod")).ok()?;
    let local_replace = go_mod.lines().any(|line| {
        line.split("//")
            .next()
            .unwrap_or("")
            .split_once("=>")
            .is_some_and(|(_, to)| {
                let to = to.trim_start();
                to.starts_with('.') || to.starts_with('/')
            })
    });
    if local_replace {
        return None;
    }
    let mut files = Vec::new();
    let mut queue: Vec<PathBuf> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // The package's own Go files: the named ones, or its folder's.
    let first = normalize(&program.dir.join(&program.package[0]));
    let own: Vec<PathBuf> = if first.is_dir() {
        queue.push(first);
        Vec::new()
    } else {
        seen.insert(program.dir.clone());
        files.push(program.dir.clone());
        program
            .package
            .iter()
            .map(|n| program.dir.join(n))
            .collect()
    };
    let follow = |file: &Path, files: &mut Vec<PathBuf>, queue: &mut Vec<PathBuf>| {
        let text = std::fs::read_to_string(file).ok()?;
        if text.contains("//go:embed") {
            return None;
        }
        files.push(file.to_path_buf());
        for import in imports(&text)? {
            let rest = if import == *module {
                Some("")
            } else {
                import
                    .strip_prefix(module.as_str())
                    .and_then(|r| r.strip_prefix('/'))
            };
            if let Some(rest) = rest {
                queue.push(normalize(&root.join(rest)));
            }
        }
        Some(())
    };
    for file in &own {
        follow(file, &mut files, &mut queue)?;
    }
    while let Some(dir) = queue.pop() {
        if !seen.insert(dir.clone()) || !dir.is_dir() {
            // A missing folder is imported only by a file a constraint leaves out (else
            // the build fails): nothing to record.
            continue;
        }
        if dir != *root && dir.join("go.mod").exists() {
            return None;
        }
        files.push(dir.clone());
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && crate::pipeline::cache::is_source(p))
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if name.ends_with("_test.go") {
                continue;
            }
            if name.ends_with(".go") {
                follow(&path, &mut files, &mut queue)?;
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files.dedup();
    Some(files)
}

/// The import paths of a Go file, or `None` if its import section cannot be read.
pub(crate) fn imports(text: &str) -> Option<Vec<String>> {
    let mut tokens = Tokens {
        text: text.as_bytes(),
        at: 0,
    };
    let mut paths = Vec::new();
    if tokens.next()? != Token::Word("package") {
        return None;
    }
    tokens.next()?;
    loop {
        match tokens.next() {
            Some(Token::Punct(b';')) => continue,
            Some(Token::Word("import")) => {}
            // The first other declaration ends the imports.
            _ => return Some(paths),
        }
        let grouped = tokens.peek() == Some(Token::Punct(b'('));
        if grouped {
            tokens.next();
        }
        loop {
            match tokens.next()? {
                Token::Punct(b')') if grouped => break,
                Token::Punct(b';') => continue,
                Token::Str(path) => {
                    paths.push(path);
                    if !grouped {
                        break;
                    }
                }
                // An import's name (`_`, `.`, an alias) before its path.
                Token::Word(_) | Token::Punct(b'.') => {}
                _ => return None,
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token<'a> {
    Word(&'a str),
    Str(String),
    Punct(u8),
}

/// Just enough of Go's lexer for the import section: words, string literals, single
/// punctuation, comments skipped (the section's shape makes Go's automatic semicolons
/// unnecessary).
struct Tokens<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Tokens<'a> {
    fn peek(&mut self) -> Option<Token<'a>> {
        let at = self.at;
        let token = self.next();
        self.at = at;
        token
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.text;
        loop {
            match t.get(self.at)? {
                b' ' | b'\t' | b'\r' | b'\n' => self.at += 1,
                b'/' if t.get(self.at + 1) == Some(&b'/') => {
                    while t.get(self.at).is_some_and(|&b| b != b'\n') {
                        self.at += 1;
                    }
                }
                b'/' if t.get(self.at + 1) == Some(&b'*') => {
                    let end = t[self.at + 2..].windows(2).position(|w| w == b"*/")?;
                    self.at += end + 4;
                }
                _ => break,
            }
        }
        let start = self.at;
        let first = t[start];
        if first == b'_' || first.is_ascii_alphanumeric() || first >= 0x80 {
            while t
                .get(self.at)
                .is_some_and(|&b| b == b'_' || b.is_ascii_alphanumeric() || b >= 0x80)
            {
                self.at += 1;
            }
            return std::str::from_utf8(&t[start..self.at])
                .ok()
                .map(Token::Word);
        }
        if first == b'`' {
            let end = t[start + 1..].iter().position(|&b| b == b'`')?;
            self.at = start + end + 2;
            return Some(Token::Str(
                String::from_utf8(t[start + 1..start + 1 + end].to_vec()).ok()?,
            ));
        }
        if first == b'"' {
            let mut value = Vec::new();
            self.at += 1;
            loop {
                match *t.get(self.at)? {
                    b'"' => break,
                    b'\\' => {
                        // Import paths have no reason to escape anything: refuse to guess.
                        return None;
                    }
                    b'\n' => return None,
                    b => value.push(b),
                }
                self.at += 1;
            }
            self.at += 1;
            return Some(Token::Str(String::from_utf8(value).ok()?));
        }
        self.at += 1;
        Some(Token::Punct(first))
    }
}
