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
    pub name: String,
    /// Where `go build` runs: the module root, else the package folder.
    pub dir: PathBuf,
    /// What `go build` gets: `./cmd/server`, `.`, or the file names.
    pub package: Vec<OsString>,
    /// `vendor/modules.txt` exists at the module root: build with `-mod=vendor`.
    pub vendored: bool,
    /// The first file that imports "C": without `--cgo` such a package usually cannot
    /// build, and Go's own message ("build constraints exclude all Go files") does not
    /// say why.
    pub cgo_file: Option<String>,
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
