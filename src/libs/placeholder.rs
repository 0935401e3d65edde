//! Placeholders in a build's arguments, flags, environment and bootstrap command —
//! `{prefix}`, `{prefix:zlib}`, `{cflags}`, `{target.gnu}` — in one grammar, so the
//! check made when a file is read and the expansion made at build time agree on what is
//! a placeholder. A placeholder is `{name}` or `{name:argument}` whose name starts with
//! a lowercase letter; `${…}` (a shell or make variable) and any other brace are text.

use std::ops::Range;

use crate::target::{PLACEHOLDER_FIELDS, Target};

/// Where a string is used, which decides what it may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// `configure.args`, `make.args`, `bootstrap`: every placeholder.
    Arguments,
    /// `cflags`, `ldflags`, `env`: not the variables these settings become (`{cflags}`,
    /// `{cc}`…), which would name themselves.
    Flags,
}

/// The variables muslbuild sets for a build, as `{cc}`… name them.
pub(crate) const VARIABLES: &[(&str, &str)] = &[
    ("cc", "CC"),
    ("ar", "AR"),
    ("ranlib", "RANLIB"),
    ("cflags", "CFLAGS"),
    ("cppflags", "CPPFLAGS"),
    ("ldflags", "LDFLAGS"),
    ("libs", "LIBS"),
];

/// What one placeholder asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placeholder<'a> {
    /// `{prefix}`: the library's prefix, or a project's runtime prefix.
    Prefix,
    /// `{prefix:NAME}`: the prefix of the dependency NAME.
    DependencyPrefix(&'a str),
    /// `{build_cc}`: the host C compiler.
    BuildCc,
    /// `{host_tool:NAME}`: the full path of a host program.
    HostTool(&'a str),
    /// `{cc}`, `{cflags}`…: the value muslbuild gives that variable (`CC`, `CFLAGS`…).
    Variable(&'static str),
    /// `{target}` (None) or `{target.FIELD}`: the target in one of its naming schemes.
    Target(Option<&'a str>),
}

/// One `{…}` found in a string: where, and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Token<'a> {
    range: Range<usize>,
    name: &'a str,
    argument: Option<&'a str>,
}

impl Token<'_> {
    fn text(&self) -> String {
        match self.argument {
            Some(argument) => format!("{{{}:{argument}}}", self.name),
            None => format!("{{{}}}", self.name),
        }
    }
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(open) = text[at..].find('{').map(|i| at + i) {
        at = open + 1;
        if open > 0 && bytes[open - 1] == b'$' {
            continue;
        }
        let Some(close) = text[open + 1..].find(['}', '{']).map(|i| open + 1 + i) else {
            break;
        };
        if bytes[close] == b'{' {
            continue;
        }
        let inner = &text[open + 1..close];
        let (name, argument) = match inner.split_once(':') {
            Some((name, argument)) => (name, Some(argument)),
            None => (inner, None),
        };
        let is_name = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
        if is_name {
            found.push(Token {
                range: open..close + 1,
                name,
                argument,
            });
            at = close + 1;
        }
    }
    found
}

fn parse<'a>(token: &Token<'a>) -> Option<Placeholder<'a>> {
    Some(match (token.name, token.argument) {
        ("prefix", None) => Placeholder::Prefix,
        ("prefix", Some(name)) if !name.is_empty() => Placeholder::DependencyPrefix(name),
        ("build_cc", None) => Placeholder::BuildCc,
        ("host_tool", Some(name)) if !name.is_empty() => Placeholder::HostTool(name),
        ("target", None) => Placeholder::Target(None),
        (name, None) => {
            if let Some(field) = name.strip_prefix("target.") {
                PLACEHOLDER_FIELDS.iter().find(|(f, _)| *f == field)?;
                Placeholder::Target(Some(field))
            } else {
                let (_, variable) = VARIABLES.iter().find(|(n, _)| *n == name)?;
                Placeholder::Variable(variable)
            }
        }
        _ => return None,
    })
}

/// Every placeholder a string may hold in `place`, as written, for messages.
pub(crate) fn known(place: Place) -> Vec<String> {
    let mut names: Vec<String> = [
        "{prefix}",
        "{prefix:NAME}",
        "{build_cc}",
        "{host_tool:NAME}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if place == Place::Arguments {
        names.extend(VARIABLES.iter().map(|(n, _)| format!("{{{n}}}")));
    }
    names.push("{target}".into());
    names.extend(
        PLACEHOLDER_FIELDS
            .iter()
            .map(|(field, _)| format!("{{target.{field}}}")),
    );
    names
}

/// Why a placeholder in a string cannot be expanded where the string is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The placeholder's bytes in the string.
    pub(crate) range: Range<usize>,
    pub(crate) message: String,
    pub(crate) help: String,
}

/// Checks every placeholder of `text`, used in `place` by a build whose dependencies
/// (the whole closure) are `dependencies` (None: not known here, any name passes).
pub(crate) fn check(
    text: &str,
    place: Place,
    dependencies: Option<&[String]>,
) -> Result<(), Problem> {
    for token in tokens(text) {
        let written = token.text();
        let problem = |message: String, help: String| Problem {
            range: token.range.clone(),
            message,
            help,
        };
        match parse(&token) {
            Some(Placeholder::DependencyPrefix(name))
                if dependencies.is_some_and(|d| !d.iter().any(|d| d == name)) =>
            {
                let dependencies = dependencies.unwrap_or_default();
                let hint = crate::error::suggest(name, dependencies.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{{prefix:{s}}}`? "))
                    .unwrap_or_default();
                return Err(problem(
                    format!("`{written}` names `{name}`, which is not among its libraries"),
                    if dependencies.is_empty() {
                        "`{prefix:NAME}` is the prefix of a library it depends on (`deps`, or a project's `libs`); it has none".into()
                    } else {
                        format!(
                            "{hint}`{{prefix:NAME}}` is the prefix of one of the libraries it depends on: {}",
                            dependencies.join(", ")
                        )
                    },
                ));
            }
            Some(Placeholder::Variable(variable)) if place == Place::Flags => {
                return Err(problem(
                    format!("`{written}` cannot be used in flags or `env`"),
                    format!(
                        "it is the value muslbuild gives {variable}, which these settings are part of; use it in `configure.args`, `make.args` or `bootstrap`"
                    ),
                ));
            }
            Some(_) => {}
            None => {
                let known = known(place);
                let hint = crate::error::suggest(&written, known.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                return Err(problem(
                    format!("unknown placeholder `{written}`"),
                    format!("{hint}the placeholders are {}", known.join(", ")),
                ));
            }
        }
    }
    Ok(())
}

/// `text` with each placeholder replaced by `value` of it; one `value` has no answer
/// for stays as written.
pub(crate) fn expand(
    text: &str,
    mut value: impl FnMut(Placeholder<'_>) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for token in tokens(text) {
        out.push_str(&text[at..token.range.start]);
        match parse(&token).and_then(&mut value) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&text[token.range.clone()]),
        }
        at = token.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The target's own placeholders, which need nothing but the target.
pub(crate) fn target_value(target: Target, placeholder: Placeholder<'_>) -> Option<String> {
    match placeholder {
        Placeholder::Target(field) => target.placeholder(field),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        tokens(text).iter().map(Token::text).collect()
    }

    #[test]
    fn placeholders_are_lowercase_names_in_braces_not_shell_variables() {
        assert_eq!(
            names("--with-x={prefix:readline}/lib ${prefix} {Upper} {target.gnu}"),
            ["{prefix:readline}", "{target.gnu}"]
        );
        assert_eq!(names("-DX={1,2} {{prefix}} {"), ["{prefix}"]);
        assert_eq!(names("AR={ar} rcu"), ["{ar}"]);
    }

    #[test]
    fn expansion_replaces_what_it_knows_and_leaves_the_rest() {
        let out = expand(
            "linux-{target.linux-arch} ${HOME} {prefix}/ssl {x}",
            |p| match p {
                Placeholder::Prefix => Some("/p".into()),
                p => target_value(Target::Aarch64, p),
            },
        );
        assert_eq!(out, "linux-arm64 ${HOME} /p/ssl {x}");
    }

    #[test]
    fn every_target_field_has_a_value_for_every_target() {
        for target in Target::ALL {
            for (field, _) in PLACEHOLDER_FIELDS {
                let text = format!("{{target.{field}}}");
                check(&text, Place::Flags, Some(&[])).unwrap();
                let value = expand(&text, |p| target_value(target, p));
                assert_ne!(value, text, "{target} {field}");
            }
        }
        assert_eq!(
            expand(
                "{target}/{target.oci-arch}{target.oci-variant}/{target.bits}/{target.endian}",
                |p| { target_value(Target::Armv7, p) }
            ),
            "armv7/armv7/32/little"
        );
        assert_eq!(
            expand("{target.linux-arch} {target.endian}", |p| target_value(
                Target::S390x,
                p
            )),
            "s390 big"
        );
    }

    #[test]
    fn unknown_placeholders_are_refused_with_the_nearest_one() {
        let problem = check("--host={target.gnuu}", Place::Arguments, None).unwrap_err();
        assert_eq!(problem.range, 7..20);
        assert!(problem.message.contains("`{target.gnuu}`"), "{problem:?}");
        assert!(
            problem.help.contains("did you mean `{target.gnu}`?"),
            "{problem:?}"
        );
        let problem =
            check("{prefix:readlin}", Place::Flags, Some(&["readline".into()])).unwrap_err();
        assert!(problem.help.contains("`{prefix:readline}`"), "{problem:?}");
        assert!(check("{cflags}", Place::Flags, None).is_err());
        assert!(check("{prefix:anything}", Place::Flags, None).is_ok());
        assert!(check("MYCFLAGS={cflags} {cppflags}", Place::Arguments, None).is_ok());
        assert!(check("{host_tool:tic} {build_cc}", Place::Flags, None).is_ok());
    }
}
