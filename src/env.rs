//! The one reader of the process environment. Everything else takes an `Env` value, so
//! tests can hand in their own and nothing depends on what the calling shell exported.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::target::Target;

#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: BTreeMap<String, OsString>,
    pub(crate) cwd: PathBuf,
    /// The command line muslbuild was started with (for the provenance statement).
    args: Vec<OsString>,
    /// muslbuild's own executable: build systems call it back as their compiler's
    /// wrapper (`zig-cc`).
    program: Option<PathBuf>,
}

impl Env {
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
                .collect(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            args: std::env::args_os().collect(),
            program: std::env::current_exe().ok(),
        }
    }

    /// The command line muslbuild was started with, its program first.
    pub(crate) fn args(&self) -> &[OsString] {
        &self.args
    }

    /// muslbuild's own executable, when the system can say.
    pub(crate) fn program(&self) -> Option<&std::path::Path> {
        self.program.as_deref()
    }

    /// `MUSLBUILD_ZIG_NOTES`: the file the `zig-cc` wrapper records what it dropped,
    /// rewrote or refused in (set by muslbuild for the builds it runs).
    pub(crate) fn zig_notes_file(&self) -> Option<PathBuf> {
        self.get("MUSLBUILD_ZIG_NOTES").map(|p| self.cwd.join(p))
    }

    /// The command line as a provenance statement records it: the program as
    /// `muslbuild`, and absolute paths made portable (inside the working folder:
    /// `./…`; inside `HOME`: `~/…`), so the same build from two folders records the same.
    pub(crate) fn portable_command_line(&self) -> Vec<String> {
        let home = self.get("HOME").map(PathBuf::from);
        let portable = |path: &str| -> String {
            let path = std::path::Path::new(path);
            if let Ok(inside) = path.strip_prefix(&self.cwd) {
                return format!("./{}", inside.display())
                    .trim_end_matches('/')
                    .to_string();
            }
            match home.as_ref().and_then(|h| path.strip_prefix(h).ok()) {
                Some(inside) => format!("~/{}", inside.display()),
                None => path.display().to_string(),
            }
        };
        let mut out = vec!["muslbuild".to_string()];
        for arg in self.args.iter().skip(1) {
            let arg = arg.to_string_lossy();
            out.push(match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") && value.starts_with('/') => {
                    format!("{flag}={}", portable(value))
                }
                _ if arg.starts_with('/') => portable(&arg),
                _ => arg.into_owned(),
            });
        }
        out
    }

    /// An environment with only the given variables.
    #[cfg(test)]
    pub(crate) fn from_vars<I, K, V>(vars: I, cwd: PathBuf) -> Env
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<OsString>,
    {
        Env {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            cwd,
            args: Vec::new(),
            program: None,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&OsString> {
        self.vars.get(key).filter(|v| !v.is_empty())
    }

    pub(crate) fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|v| v.to_str())
    }

    pub(crate) fn is_true(&self, key: &str) -> bool {
        matches!(self.get_str(key), Some(v) if !matches!(v, "0" | "false" | "no" | "off"))
    }

    pub(crate) fn path(&self) -> Option<&OsString> {
        self.get("PATH")
    }

    /// Looks a tool variable up the way cc-rs does, most specific first:
    /// `CC_aarch64-unknown-linux-musl`, `CC_aarch64_unknown_linux_musl`, `TARGET_CC`
    /// (or `HOST_CC` for the host arch), then `CC`. Returns the variable's name too, for
    /// `toolchain list`.
    pub(crate) fn tool_var(
        &self,
        tool: &str,
        target: Target,
        host: Option<Target>,
    ) -> Option<(String, &OsString)> {
        let triple = target.rust_triple();
        let kind = if host == Some(target) {
            "HOST"
        } else {
            "TARGET"
        };
        let names = [
            format!("{tool}_{triple}"),
            format!("{tool}_{}", triple.replace('-', "_")),
            format!("{kind}_{tool}"),
            tool.to_string(),
        ];
        names.into_iter().find_map(|name| {
            let value = self.get(&name)?;
            Some((name, value))
        })
    }

    /// The cache root: `$MUSLBUILD_HOME`, else `$XDG_CACHE_HOME/muslbuild`, else
    /// `~/.cache/muslbuild`.
    pub(crate) fn cache_root(&self) -> PathBuf {
        if let Some(home) = self.get("MUSLBUILD_HOME") {
            return PathBuf::from(home);
        }
        if let Some(xdg) = self.get("XDG_CACHE_HOME") {
            return PathBuf::from(xdg).join("muslbuild");
        }
        let home = self
            .get("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        home.join(".cache").join("muslbuild")
    }

    /// Splits a flags variable (`CFLAGS`, `LDFLAGS`) the way a POSIX shell would.
    pub(crate) fn flags(&self, key: &str) -> Vec<String> {
        self.get_str(key).and_then(shlex::split).unwrap_or_default()
    }

    /// `GOFLAGS`: muslbuild merges the user's `-ldflags`/`-tags` from it with its own
    /// instead of letting one clobber the other.
    pub(crate) fn goflags(&self) -> Option<&str> {
        self.get_str("GOFLAGS")
    }

    /// `GOROOT`: a Go installation to use when `--go` is not given.
    pub(crate) fn goroot(&self) -> Option<PathBuf> {
        self.get("GOROOT").map(PathBuf::from)
    }

    /// Whether `go` can find its build cache by itself (`GOCACHE`, `XDG_CACHE_HOME` or
    /// `HOME`); without one it refuses to build, so muslbuild gives it a folder.
    pub(crate) fn has_go_cache_dir(&self) -> bool {
        ["GOCACHE", "XDG_CACHE_HOME", "HOME"]
            .iter()
            .any(|k| self.get(k).is_some())
    }

    /// `MUSLBUILD_OFFLINE=1`: nothing is downloaded; what is missing is an error that says
    /// what to fetch.
    pub(crate) fn offline(&self) -> bool {
        self.is_true("MUSLBUILD_OFFLINE")
    }

    /// `MUSLBUILD_REMOTE_CACHE=oci://HOST[:PORT]/REPO`: the shared remote cache (over the
    /// project file's `[cache] remote`); `MUSLBUILD_REMOTE_CACHE_READ_ONLY=1` takes from it
    /// without sending to it.
    pub(crate) fn remote_cache(&self) -> Option<(String, bool)> {
        let url = self
            .get_str("MUSLBUILD_REMOTE_CACHE")
            .filter(|u| !u.is_empty())?;
        Some((
            url.to_string(),
            self.is_true("MUSLBUILD_REMOTE_CACHE_READ_ONLY"),
        ))
    }

    /// `MUSLBUILD_REGISTRY_CHUNK_SIZE`: bytes per `PATCH` when a blob is uploaded to a
    /// registry in chunks (larger blobs only).
    pub(crate) fn registry_chunk_size(&self) -> Option<usize> {
        self.get_str("MUSLBUILD_REGISTRY_CHUNK_SIZE")?.parse().ok()
    }

    /// `MUSLBUILD_MIRROR`: base URLs (separated by commas or spaces) tried before the
    /// manifest's own URLs.
    pub(crate) fn mirrors(&self) -> Vec<String> {
        self.get_str("MUSLBUILD_MIRROR")
            .map(|v| {
                v.split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `MUSLBUILD_MANIFEST`: a toolchain manifest to use instead of the built-in one.
    pub(crate) fn manifest(&self) -> Option<PathBuf> {
        self.get("MUSLBUILD_MANIFEST").map(|p| self.cwd.join(p))
    }

    /// `MUSLBUILD_HTTP_TIMEOUT`: seconds before a connect or a silent read gives up.
    pub(crate) fn http_timeout(&self) -> Option<std::time::Duration> {
        let secs: f64 = self.get_str("MUSLBUILD_HTTP_TIMEOUT")?.parse().ok()?;
        (secs > 0.0).then(|| std::time::Duration::from_secs_f64(secs))
    }

    /// `MUSLBUILD_HTTP_RETRIES`: attempts per URL after the first.
    pub(crate) fn http_retries(&self) -> Option<u32> {
        self.get_str("MUSLBUILD_HTTP_RETRIES")?.parse().ok()
    }

    /// `MUSLBUILD_SOURCE_DIRS`: folders of source archives for offline library builds,
    /// separated by `:` like `PATH`.
    pub(crate) fn source_dirs(&self) -> Vec<PathBuf> {
        self.get("MUSLBUILD_SOURCE_DIRS")
            .map(|v| {
                std::env::split_paths(v)
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(|p| self.cwd.join(p))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The host C compiler for build-time generators: `CC_FOR_BUILD`, then `BUILD_CC`, as
    /// autoconf and ncurses name it.
    pub(crate) fn build_cc(&self) -> Option<&OsString> {
        self.get("CC_FOR_BUILD").or_else(|| self.get("BUILD_CC"))
    }

    /// `MAKE`, the usual way to name GNU make where it is not `make` (`gmake`).
    pub(crate) fn make(&self) -> Option<&OsString> {
        self.get("MAKE")
    }

    /// Variables a library build inherits: what finds programs and where compilers keep
    /// their caches (zig's lives under `HOME`/`XDG_CACHE_HOME` unless told otherwise).
    /// Everything else (CFLAGS, PKG_CONFIG_PATH, MAKEFLAGS…) is left out so that nothing
    /// from the host leaks into a cross build.
    pub(crate) fn passthrough_for_builds(&self) -> Vec<(String, OsString)> {
        [
            "PATH",
            "HOME",
            "TMPDIR",
            "XDG_CACHE_HOME",
            "ZIG_GLOBAL_CACHE_DIR",
            "ZIG_LOCAL_CACHE_DIR",
        ]
        .into_iter()
        .filter_map(|k| Some((k.to_string(), self.get(k)?.clone())))
        .collect()
    }

    /// `HOME`, when set.
    pub(crate) fn home(&self) -> Option<PathBuf> {
        self.get("HOME").map(PathBuf::from)
    }

    /// Where scratch folders go: `TMPDIR`, else `/tmp` (what `std::env::temp_dir` reads,
    /// read here so that nothing else looks at the environment).
    pub(crate) fn temp_dir(&self) -> PathBuf {
        self.get("TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"))
    }

    /// `SOURCE_DATE_EPOCH` if set, else 0: outputs must not depend on when they were built.
    pub(crate) fn source_date_epoch(&self) -> u64 {
        self.get_str("SOURCE_DATE_EPOCH")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_recorded_without_the_folders_it_ran_in() {
        let mut env = Env::from_vars([("HOME", "/home/me")], PathBuf::from("/work/a"));
        env.args = [
            "/usr/local/bin/muslbuild",
            "--lib",
            "readline",
            "--source-dir=/home/me/src",
            "--out-dir",
            "/work/a/dist",
            "/opt/x.c",
            "hello.c",
        ]
        .map(OsString::from)
        .to_vec();
        assert_eq!(
            env.portable_command_line(),
            [
                "muslbuild",
                "--lib",
                "readline",
                "--source-dir=~/src",
                "--out-dir",
                "./dist",
                "/opt/x.c",
                "hello.c"
            ]
        );
    }

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::from_vars(vars.iter().map(|(k, v)| (*k, *v)), PathBuf::from("/"))
    }

    #[test]
    fn tool_var_prefers_the_most_specific() {
        let e = env(&[
            ("CC", "cc"),
            ("TARGET_CC", "target-cc"),
            ("CC_aarch64_unknown_linux_musl", "underscored"),
        ]);
        let (name, value) = e
            .tool_var("CC", Target::Aarch64, Some(Target::X86_64))
            .unwrap();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("CC_aarch64_unknown_linux_musl", "underscored")
        );
        let (name, _) = e
            .tool_var("CC", Target::Armv7, Some(Target::X86_64))
            .unwrap();
        assert_eq!(name, "TARGET_CC");
        let (name, _) = e
            .tool_var("CC", Target::X86_64, Some(Target::X86_64))
            .unwrap();
        assert_eq!(name, "CC");
        assert!(
            env(&[("CC", "")])
                .tool_var("CC", Target::X86_64, None)
                .is_none()
        );
    }

    #[test]
    fn temp_dir_is_tmpdir_else_tmp() {
        assert_eq!(
            env(&[("TMPDIR", "/scratch")]).temp_dir(),
            PathBuf::from("/scratch")
        );
        assert_eq!(env(&[("TMPDIR", "")]).temp_dir(), PathBuf::from("/tmp"));
        assert_eq!(env(&[]).temp_dir(), PathBuf::from("/tmp"));
    }

    #[test]
    fn cache_root_order() {
        assert_eq!(
            env(&[("MUSLBUILD_HOME", "/m"), ("XDG_CACHE_HOME", "/x")]).cache_root(),
            PathBuf::from("/m")
        );
        assert_eq!(
            env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]).cache_root(),
            PathBuf::from("/x/muslbuild")
        );
        assert_eq!(
            env(&[("HOME", "/h")]).cache_root(),
            PathBuf::from("/h/.cache/muslbuild")
        );
    }

    #[test]
    fn download_settings() {
        let e = env(&[
            ("MUSLBUILD_MIRROR", "http://a/x, http://b"),
            ("MUSLBUILD_OFFLINE", "1"),
            ("MUSLBUILD_HTTP_TIMEOUT", "0.5"),
        ]);
        assert_eq!(e.mirrors(), vec!["http://a/x", "http://b"]);
        assert!(e.offline());
        assert_eq!(
            e.http_timeout(),
            Some(std::time::Duration::from_millis(500))
        );
        assert!(!env(&[("MUSLBUILD_OFFLINE", "0")]).offline());
    }

    #[test]
    fn source_dirs_split_like_path() {
        let e = Env::from_vars(
            [("MUSLBUILD_SOURCE_DIRS", "/a:rel::/b")],
            PathBuf::from("/w"),
        );
        assert_eq!(
            e.source_dirs(),
            vec![
                PathBuf::from("/a"),
                PathBuf::from("/w/rel"),
                PathBuf::from("/b")
            ]
        );
        assert!(env(&[]).source_dirs().is_empty());
    }

    #[test]
    fn flags_split_like_a_shell() {
        assert_eq!(
            env(&[("CFLAGS", "-O2 -DX='a b'")]).flags("CFLAGS"),
            vec!["-O2", "-DX=a b"]
        );
    }
}
