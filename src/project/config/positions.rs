//! Where in `muslbuild.toml` a problem is: byte spans to line and column, and the
//! `Error::Config` that names them.

use std::ops::Range;
use std::path::Path;

use crate::error::Error;
use crate::image::spec::Key;

/// The span of a value in `[image]` (`ports`, 2 -> the third port), or of the nearest
/// enclosing one found; the `[image]` table when none is.
pub(super) fn image_span(text: &str, keys: &[Key]) -> Range<usize> {
    use toml::de::{DeTable, DeValue};
    let Ok(root) = DeTable::parse(text) else {
        return 0..0;
    };
    let Some(image) = root.get_ref().iter().find(|(k, _)| k.get_ref() == "image") else {
        return 0..0;
    };
    let mut span = image.0.span();
    let mut value = image.1;
    for key in keys {
        let next = match (key, value.get_ref()) {
            (Key::Field(name), DeValue::Table(table)) => table
                .iter()
                .find(|(k, _)| k.get_ref() == *name)
                .map(|(_, v)| v),
            (Key::Index(i), DeValue::Array(items)) => items.get(*i),
            _ => None,
        };
        match next {
            Some(next) => {
                span = next.span();
                value = next;
            }
            None => break,
        }
    }
    span
}

pub(super) struct Positions<'a> {
    pub(super) text: &'a str,
    pub(super) file: &'a Path,
}

impl Positions<'_> {
    pub(super) fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rfind('\n')
            .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
            + 1;
        (line, column)
    }

    pub(super) fn error(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Error {
        let (line, column) = if span == (0..0) && self.text.is_empty() {
            (0, 0)
        } else {
            self.line_column(span.start)
        };
        Error::Config {
            file: self.file.to_path_buf(),
            line,
            column,
            message: message.into(),
            help: help.into(),
        }
    }

    /// toml's own errors, with a did-you-mean for unknown keys.
    pub(super) fn toml_error(&self, e: &toml::de::Error) -> Error {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some((key, expected)) = rest.split_once('`')
        {
            let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            let hint = match suggest(key, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? "),
                None => String::new(),
            };
            return self.error(
                span,
                format!("unknown key `{key}`"),
                format!(
                    "{hint}the keys allowed here are: {} (docs/project.md)",
                    known.join(", ")
                ),
            );
        }
        self.error(
            span,
            message,
            "fix the TOML at that position (docs/project.md describes the file)",
        )
    }
}

pub(crate) use crate::error::suggest;
