//! The one reader of `muslbuild -v` output: each command muslbuild runs is echoed as a
//! pasteable `+ [cd DIR &&] [NAME=VALUE…] PROGRAM ARGS…` line, which the overhead
//! benchmarks run directly to compare against.

use std::path::PathBuf;

use xshell::{Cmd, Shell};

#[derive(Clone, Debug, PartialEq)]
pub struct Echoed {
    pub dir: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub argv: Vec<String>,
}

impl Echoed {
    /// The last echoed command in `stderr` for which `pick` holds.
    pub fn find(stderr: &str, pick: impl Fn(&Echoed) -> bool) -> Option<Echoed> {
        stderr
            .lines()
            .filter_map(|line| line.strip_prefix("+ "))
            .filter_map(Echoed::parse)
            .filter(|c| pick(c))
            .last()
    }

    pub fn parse(line: &str) -> Option<Echoed> {
        let mut words = shlex::split(line)?.into_iter().peekable();
        let mut dir = None;
        if words.peek().map(String::as_str) == Some("cd") {
            words.next();
            dir = Some(PathBuf::from(words.next()?));
            (words.next()? == "&&").then_some(())?;
        }
        let mut env = Vec::new();
        while let Some((key, value)) = words.peek().and_then(|w| {
            let (k, v) = w.split_once('=')?;
            let is_name = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            is_name.then(|| (k.to_string(), v.to_string()))
        }) {
            env.push((key, value));
            words.next();
        }
        let argv: Vec<String> = words.collect();
        (!argv.is_empty()).then_some(Echoed { dir, env, argv })
    }

    pub fn program_ends_with(&self, name: &str) -> bool {
        self.argv[0].ends_with(name)
    }

    /// The value after `flag` (as in `-o PATH`), replaced.
    pub fn set_after(&mut self, flag: &str, value: &str) {
        if let Some(i) = self.argv.iter().position(|a| a == flag) {
            self.argv[i + 1] = value.to_string();
        }
    }

    pub fn replace_arg(&mut self, old: &str, new: &str) {
        for arg in &mut self.argv {
            if arg == old {
                *arg = new.to_string();
            }
        }
    }

    /// Runs the command as echoed (its folder and environment applied), output discarded.
    pub fn run(&self, sh: &Shell) -> xshell::Result<()> {
        let _dir = self.dir.as_ref().map(|d| sh.push_dir(d));
        self.command(sh).ignore_stdout().ignore_stderr().run()
    }

    fn command<'a>(&self, sh: &'a Shell) -> Cmd<'a> {
        let program = &self.argv[0];
        let args = &self.argv[1..];
        let mut cmd = xshell::cmd!(sh, "{program} {args...}").quiet();
        for (key, value) in &self.env {
            cmd = cmd.env(key, value);
        }
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_folder_environment_and_words() {
        let c = Echoed::parse(
            "cd /src/hello && GOOS=linux GOFLAGS='' /go/bin/go build '-ldflags=-s -w' -o /o/x .",
        )
        .unwrap();
        assert_eq!(c.dir, Some(PathBuf::from("/src/hello")));
        assert_eq!(
            c.env,
            [
                ("GOOS".into(), "linux".into()),
                ("GOFLAGS".into(), String::new())
            ]
        );
        assert_eq!(
            c.argv,
            ["/go/bin/go", "build", "-ldflags=-s -w", "-o", "/o/x", "."]
        );
    }

    #[test]
    fn an_argument_with_an_equals_sign_after_the_program_stays_an_argument() {
        let c = Echoed::parse("SOURCE_DATE_EPOCH=0 /usr/bin/cc '-DX=1' a.c").unwrap();
        assert_eq!(c.env, [("SOURCE_DATE_EPOCH".into(), "0".into())]);
        assert_eq!(c.argv, ["/usr/bin/cc", "-DX=1", "a.c"]);
        assert!(
            Echoed::find("+ cc a.c\nother\n+ ld a.o\n", |c| c.program_ends_with("ld")).is_some()
        );
    }
}
