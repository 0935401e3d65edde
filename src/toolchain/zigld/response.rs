//! Response files (`@file`) as gcc reads them, so that linker options inside them are
//! translated like those on the command line.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// How deep response files may name response files (gcc's own limit is similar).
const MAX_RESPONSE_DEPTH: usize = 16;

/// The command line with every readable response file's contents in place of its
/// `@file`, each argument marked with the index of the command-line argument it came
/// from.
pub(super) fn expand(
    args: &[OsString],
    read: &dyn Fn(&Path) -> Option<Vec<u8>>,
) -> Vec<(OsString, usize)> {
    let mut out = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        expand_one(arg, i, read, 0, &mut out);
    }
    out
}

fn expand_one(
    arg: &OsString,
    origin: usize,
    read: &dyn Fn(&Path) -> Option<Vec<u8>>,
    depth: usize,
    out: &mut Vec<(OsString, usize)>,
) {
    let contents = (depth < MAX_RESPONSE_DEPTH)
        .then(|| arg.as_bytes().strip_prefix(b"@"))
        .flatten()
        .filter(|path| !path.is_empty())
        .and_then(|path| read(Path::new(OsStr::from_bytes(path))));
    match contents {
        Some(bytes) => {
            for inner in parse_response_file(&bytes) {
                expand_one(&inner, origin, read, depth + 1, out);
            }
        }
        None => out.push((arg.clone(), origin)),
    }
}

pub(super) fn is_response_file(arg: &OsStr, read: &dyn Fn(&Path) -> Option<Vec<u8>>) -> bool {
    arg.as_bytes()
        .strip_prefix(b"@")
        .filter(|p| !p.is_empty())
        .is_some_and(|p| read(Path::new(OsStr::from_bytes(p))).is_some())
}

/// A response file's arguments, split as gcc's libiberty (`buildargv`) splits them:
/// white space separates; single and double quotes group; a backslash takes the next
/// byte as it is, inside quotes too.
fn parse_response_file(bytes: &[u8]) -> Vec<OsString> {
    let mut args = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut started = false;
    let (mut squote, mut dquote, mut escaped) = (false, false, false);
    for &b in bytes {
        if escaped {
            current.push(b);
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
            started = true;
        } else if squote {
            if b == b'\'' {
                squote = false;
            } else {
                current.push(b);
            }
        } else if dquote {
            if b == b'"' {
                dquote = false;
            } else {
                current.push(b);
            }
        } else if b.is_ascii_whitespace() {
            if started {
                args.push(OsString::from_vec(std::mem::take(&mut current)));
                started = false;
            }
        } else {
            started = true;
            match b {
                b'\'' => squote = true,
                b'"' => dquote = true,
                _ => current.push(b),
            }
        }
    }
    if started {
        args.push(OsString::from_vec(current));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn response_files_split_as_gcc_splits_them() {
        assert_eq!(
            parse_response_file(b"a  'b c' \"d\\\"e\" f\\ g ''\n\th"),
            os(&["a", "b c", "d\"e", "f g", "", "h"])
        );
        // What muslbuild writes (sys::process) reads back the same.
        assert_eq!(
            parse_response_file(b"-DMSG=\\\"a\\ b\\\"\nx\\\\y.c\n"),
            os(&["-DMSG=\"a b\"", "x\\y.c"])
        );
    }
}
