//! The user's Go flags (`GOFLAGS`, `--goflags`, `--ldflags`, `--tags`): merged after
//! muslbuild's, with the flags that would make the result dynamic or fight muslbuild over
//! the output refused before anything runs; and Go's own quoting.

use crate::error::{Error, Result};

/// The user's flags after merging: what goes into `-ldflags`, `-tags`, and what is left.
#[derive(Debug, Default, PartialEq)]
pub(super) struct UserFlags {
    pub(super) ldflags: Vec<String>,
    pub(super) extldflags: Vec<String>,
    pub(super) tags: Vec<String>,
    /// `GOFLAGS` entries muslbuild passes on unchanged.
    pub(super) goflags_rest: Vec<String>,
    /// Command-line flags muslbuild passes on unchanged (after its own).
    pub(super) args_rest: Vec<String>,
    pub(super) sets_mod: bool,
    pub(super) sets_buildvcs: bool,
}

pub(super) fn refused(flag: &str, origin: &str, why: &str, help: &str) -> Error {
    Error::GoFlagRefused {
        flag: flag.into(),
        origin: origin.into(),
        why: why.into(),
        help: help.into(),
    }
}

/// Merges `GOFLAGS`, `--goflags`, `--ldflags` and `--tags`, refusing what would make the
/// result dynamic or fight muslbuild over the output.
pub(super) fn merge_user_flags(
    goflags: Option<&str>,
    go_args: &[String],
    ldflags: &[String],
    tags: &[String],
) -> Result<UserFlags> {
    let mut user = UserFlags::default();
    let goflags = match goflags {
        Some(text) => go_split(text).ok_or_else(|| {
            Error::usage(format!("cannot parse GOFLAGS `{text}`"), "GOFLAGS is a space-separated list of -flag=value settings; quote values with spaces")
        })?,
        None => Vec::new(),
    };
    take_go_flags(&goflags, "GOFLAGS", &mut user, true)?;
    take_go_flags(go_args, "--goflags", &mut user, false)?;
    for value in ldflags {
        take_ldflags(value, "--ldflags", &mut user)?;
    }
    for value in tags {
        user.tags.extend(split_tags(value));
    }
    Ok(user)
}

fn split_tags(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Go's flag syntax: `-name=value`, `--name=value`, or `-name value` for non-boolean flags.
fn take_go_flags(
    flags: &[String],
    origin: &str,
    user: &mut UserFlags,
    from_env: bool,
) -> Result<()> {
    const WITH_VALUE: &[&str] = &[
        "ldflags",
        "tags",
        "buildmode",
        "mod",
        "o",
        "p",
        "gcflags",
        "asmflags",
        "gccgoflags",
        "pkgdir",
        "modfile",
        "overlay",
        "pgo",
        "toolexec",
        "compiler",
        "installsuffix",
        "buildvcs",
        "covermode",
        "coverpkg",
        "C",
    ];
    let mut i = 0;
    while i < flags.len() {
        let flag = &flags[i];
        i += 1;
        let Some(body) = flag.strip_prefix("--").or_else(|| flag.strip_prefix('-')) else {
            return Err(Error::usage(
                format!("{origin} holds `{flag}`, which is not a flag"),
                "give go build flags as -flag=value",
            ));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let value = match inline {
            Some(v) => Some(v),
            None if WITH_VALUE.contains(&name) && !from_env => {
                let v = flags.get(i).cloned();
                i += 1;
                v
            }
            None => None,
        };
        let whole = match &value {
            Some(v) => format!("-{name}={v}"),
            None => format!("-{name}"),
        };
        let pass = |user: &mut UserFlags| {
            if from_env {
                user.goflags_rest.push(flag.clone());
            } else {
                user.args_rest.push(whole.clone());
            }
        };
        match name {
            "ldflags" => take_ldflags(value.as_deref().unwrap_or(""), origin, user)?,
            "tags" => user.tags.extend(split_tags(value.as_deref().unwrap_or(""))),
            "buildmode" => match value.as_deref() {
                Some("exe" | "default") => {}
                Some("pie") => {
                    return Err(refused(
                        &whole,
                        origin,
                        "makes Go link a dynamic position-independent executable with an interpreter (even with CGO_ENABLED=0), and a FROM scratch image has none",
                        "drop -buildmode=pie: muslbuild builds static, non-PIE executables, which a scratch image can run",
                    ));
                }
                _ => {
                    return Err(refused(
                        &whole,
                        origin,
                        "does not produce a static executable",
                        "muslbuild builds executables (-buildmode=exe); build libraries with `go build` directly",
                    ));
                }
            },
            "linkshared" => {
                return Err(refused(
                    &whole,
                    origin,
                    "links against shared Go libraries, which a FROM scratch image does not have",
                    "drop -linkshared",
                ));
            }
            "race" | "msan" | "asan" => {
                return Err(refused(
                    &whole,
                    origin,
                    "needs cgo and the sanitizer runtimes of a glibc toolchain, so the result could not be static",
                    "use it with plain `go build`/`go test` during development, not for release artifacts",
                ));
            }
            "o" => {
                return Err(refused(
                    &whole,
                    origin,
                    "would put the artifact outside dist/",
                    "use muslbuild's own -o NAME",
                ));
            }
            "mod" => {
                user.sets_mod = true;
                pass(user);
            }
            "buildvcs" => {
                user.sets_buildvcs = true;
                pass(user);
            }
            _ => pass(user),
        }
    }
    Ok(())
}

/// Takes one `-ldflags` list apart: `-extldflags` is merged with muslbuild's `-static`,
/// and flags that decide how the result is linked are refused.
fn take_ldflags(value: &str, origin: &str, user: &mut UserFlags) -> Result<()> {
    let words = go_split(value).ok_or_else(|| {
        Error::usage(
            format!("cannot parse the ldflags `{value}` from {origin}"),
            "quote values with spaces: -X 'main.msg=hello world'",
        )
    })?;
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        let body = word.trim_start_matches('-');
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        match name {
            "extldflags" => {
                let v = inline.or_else(|| {
                    i += 1;
                    words.get(i - 1).cloned()
                });
                user.extldflags
                    .extend(go_split(&v.unwrap_or_default()).unwrap_or_default());
            }
            "linkmode" => {
                return Err(refused(
                    word,
                    origin,
                    "overrides how muslbuild links: internal for pure Go, external and static with --cgo",
                    "drop -linkmode; use --cgo when the program contains C",
                ));
            }
            "I" => {
                return Err(refused(
                    word,
                    origin,
                    "sets an ELF interpreter, which makes the executable dynamic",
                    "drop -I",
                ));
            }
            "linkshared" => {
                return Err(refused(
                    word,
                    origin,
                    "links against shared Go libraries",
                    "drop -linkshared",
                ));
            }
            _ => {
                user.ldflags.push(word.clone());
                // `-X name=value`, `-B value`, `-r path`: the value travels with its flag.
                if inline.is_none()
                    && word.starts_with('-')
                    && matches!(
                        name,
                        "X" | "B"
                            | "r"
                            | "T"
                            | "R"
                            | "H"
                            | "E"
                            | "k"
                            | "L"
                            | "buildid"
                            | "installsuffix"
                            | "tmpdir"
                            | "extld"
                            | "fipso"
                            | "o"
                            | "capturehostobjs"
                            | "bindnow"
                            | "importcfg"
                            | "memprofile"
                            | "cpuprofile"
                            | "strictdups"
                            | "libgcc"
                    )
                    && let Some(next) = words.get(i)
                {
                    user.ldflags.push(next.clone());
                    i += 1;
                }
            }
        }
    }
    Ok(())
}

/// Splits like Go's `cmd/internal/quoted.Split` (used for `CC`, `-ldflags`, `GOFLAGS`):
/// fields separated by spaces, a field may be wrapped in '…' or "…", no escapes.
pub(crate) fn go_split(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\n', '\r']);
        let Some(first) = rest.chars().next() else {
            return Some(out);
        };
        if first == '"' || first == '\'' {
            let end = rest[1..].find(first)?;
            out.push(rest[1..1 + end].to_string());
            rest = &rest[end + 2..];
            if rest.chars().next().is_some_and(|c| !c.is_whitespace()) {
                return None;
            }
        } else {
            let end = rest.find([' ', '\t', '\n', '\r']).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
}

/// The inverse of `go_split`: Go's quoting has no escapes, so a field holding both kinds
/// of quote and a space cannot be passed.
pub(crate) fn go_join(fields: &[String]) -> Result<String> {
    let mut out = Vec::new();
    for field in fields {
        let needs = field.is_empty() || field.contains([' ', '\t', '\n', '\r', '\'', '"']);
        if !needs {
            out.push(field.clone());
        } else if !field.contains('\'') {
            out.push(format!("'{field}'"));
        } else if !field.contains('"') {
            out.push(format!("\"{field}\""));
        } else {
            return Err(Error::usage(
                format!(
                    "`{field}` holds both kinds of quote, which Go's flag quoting cannot carry"
                ),
                "drop one kind of quote from the value",
            ));
        }
    }
    Ok(out.join(" "))
}
