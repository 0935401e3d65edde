//! `muslbuild init`: a starter project file.

use std::path::{Path, PathBuf};

use super::config;
use crate::error::{Error, Result};
use crate::sys::fs::Temps;

/// `muslbuild init`: a commented starter file (and `hello.c` for it to build, when the
/// folder has none); never overwrites.
pub(crate) fn init(dir: &Path, temps: &Temps) -> Result<Vec<PathBuf>> {
    let file = dir.join(config::FILE_NAME);
    if file.exists() {
        return Err(Error::usage(
            format!("`{}` already exists", file.display()),
            "muslbuild init never overwrites; edit the file, or remove it first",
        ));
    }
    let mut written = Vec::new();
    let hello = dir.join("hello.c");
    if !hello.exists() {
        crate::sys::fs::write_atomic(temps, &hello, HELLO.as_bytes())?;
        written.push(hello);
    }
    // `create_new` so that a file appearing meanwhile is still never overwritten.
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .map_err(Error::io("cannot write", &file))?;
    f.write_all(config::STARTER.as_bytes())
        .map_err(Error::io("cannot write", &file))?;
    written.push(file);
    Ok(written)
}

const HELLO: &str = "#include <stdio.h>\n\nint main(void) {\n    puts(\"hello from a static binary\");\n    return 0;\n}\n";
