//! Probing: can this candidate link a static musl executable for its target? Answered
//! once per fingerprint and cached in `probes/`, so a warm build spawns no probe at all.
//! Also the other question only a process answers, likewise cached: where a Python
//! package (zig's `ziglang` wheel, Go's) keeps its program.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::discover::Candidate;
use super::model::{Flavor, file_stamp};
use crate::cache::{self, Cache};
use crate::context::Ctx;
use crate::error::Result;
use crate::sys::key::{CacheKey, KeyKind};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Usable {
        version: String,
        fingerprint: String,
    },
    Unusable {
        version: String,
        reason: String,
    },
}

/// Refuses glibc (and uClibc, which also defines `__GLIBC__`) at compile time: a static
/// glibc binary passes every ELF check but is not what a musl toolchain must produce.
const PROBE_SOURCE: &str = r#"#include <stdio.h>
#ifdef __GLIBC__
#error "this compiler uses glibc, not musl"
#endif
int main(void) { puts("muslbuild probe"); return 0; }
"#;

pub(crate) fn probe(candidate: &Candidate, ctx: &Ctx) -> Result<Verdict> {
    probe_announced(candidate, ctx, true)
}

/// `probe`; `announce`: say on stderr that a zig is about to build a target's libc (a
/// caller showing its own progress says it otherwise).
pub(crate) fn probe_announced(candidate: &Candidate, ctx: &Ctx, announce: bool) -> Result<Verdict> {
    let cache = &ctx.cache;
    if let Some(verdict) = damaged(candidate, ctx) {
        return Ok(verdict);
    }
    let (identity, record) = record_of(candidate, cache);
    if let Some(verdict) = read_record(cache, &record, &identity) {
        return Ok(verdict);
    }
    let verdict = run_probe(candidate, ctx, announce)?;
    // A verdict reached before anything ran (no version) finds no folder yet.
    let probes = cache.dir("probes");
    std::fs::create_dir_all(&probes).map_err(crate::error::Error::io("cannot create", &probes))?;
    let json = serde_json::to_vec_pretty(&Record {
        check: record_check(&identity, &verdict),
        verdict: verdict.clone(),
    })
    .expect("verdict serialises");
    crate::sys::fs::write_atomic(ctx.temps(), &record, &json)?;
    Ok(verdict)
}

/// The verdict already known for `candidate`, without running anything: its probe
/// record, or unusable when its cache entry is damaged. `None`: not probed yet.
pub(crate) fn known(candidate: &Candidate, ctx: &Ctx) -> Option<Verdict> {
    if let Some(verdict) = damaged(candidate, ctx) {
        return Some(verdict);
    }
    let (identity, record) = record_of(candidate, &ctx.cache);
    read_record(&ctx.cache, &record, &identity)
}

/// A candidate's identity (what is probed: provider, target, command, the compiler's
/// stamp, the CPU-pinning flags) and the record its verdict is kept in.
fn record_of(candidate: &Candidate, cache: &Cache) -> (String, PathBuf) {
    let identity = CacheKey::new(KeyKind::ProbeIdentity)
        .part("provider", candidate.provider.name())
        .part("target", candidate.target.name())
        .part("cc", candidate.cc.to_shell_words())
        .part("stamp", &candidate.stamp)
        // The CPU-pinning flags are part of what is probed: a change must re-probe.
        .list(
            "target-flags",
            candidate
                .toolchain(String::new(), String::new())
                .target_flags(),
        )
        .finish();
    let record = cache.dir("probes").join(format!("{identity}.json"));
    (identity, record)
}

/// An installed candidate whose cache entry is damaged: unusable, and not recorded (a
/// reinstall replaces the entry). The entry is checked here, when the choice gets to it,
/// not by discovery: a zig found earlier in the order never costs the installed one's
/// check.
fn damaged(candidate: &Candidate, ctx: &Ctx) -> Option<Verdict> {
    let entry = candidate.entry.as_ref()?;
    (!ctx.cache.is_complete(entry)).then(|| Verdict::Unusable {
        version: "?".into(),
        reason: super::installed::DAMAGED_ENTRY.into(),
    })
}

/// A probe record: the verdict and a hash binding it to the candidate's identity, so a
/// record edited by hand (or copied from another candidate) is noticed and probed again.
/// `verify` still checks every artifact, so even a forged record cannot let a glibc or
/// dynamic binary through.
#[derive(Serialize, Deserialize)]
pub struct Record {
    #[serde(flatten)]
    pub verdict: Verdict,
    pub check: String,
}

/// For `cache verify`: a C compiler probe record and whether its check holds (`None` for
/// a record of another kind).
pub(crate) fn check_probe_record(identity: &str, text: &str) -> Option<bool> {
    if identity.starts_with("go-") {
        return None;
    }
    let record = serde_json::from_str::<Record>(text).ok()?;
    Some(record.check == record_check(identity, &record.verdict))
}

pub fn record_check(identity: &str, verdict: &Verdict) -> String {
    let json = serde_json::to_string(verdict).expect("verdict serialises");
    CacheKey::new(KeyKind::ProbeCheck)
        .part("identity", identity)
        .part("verdict", json)
        .finish()
}

/// The record's verdict when its check holds; a record that fails it is reported.
pub(crate) fn read_record(cache: &Cache, path: &Path, identity: &str) -> Option<Verdict> {
    let text = std::fs::read_to_string(path).ok()?;
    let damage = |reason: &str| {
        cache.warn_damaged(
            path,
            &cache::Damage {
                file: path.to_path_buf(),
                reason: reason.into(),
            },
        );
        None
    };
    match serde_json::from_str::<Record>(&text) {
        Ok(record) if record.check == record_check(identity, &record.verdict) => {
            Some(record.verdict)
        }
        Ok(_) => damage("was changed since it was written (its check does not match)"),
        // Records of an older muslbuild have no check: probe again, quietly.
        Err(_) if serde_json::from_str::<Verdict>(&text).is_ok() => None,
        Err(_) => damage("is not a probe record"),
    }
}

fn run_probe(candidate: &Candidate, ctx: &Ctx, announce: bool) -> Result<Verdict> {
    let version = match version_of(candidate, ctx) {
        Ok(v) => v,
        Err(reason) => {
            return Ok(Verdict::Unusable {
                version: "?".into(),
                reason,
            });
        }
    };
    if announce && candidate.flavor == Flavor::Zig {
        ctx.ui.status(format_args!(
            "checking zig {version} for {} (its first use for a target builds musl, about a minute)",
            candidate.target
        ));
    }
    let toolchain = candidate.toolchain(version.clone(), String::new());
    // zig's first compile for a target builds its libc: taken from (or sent to) the
    // remote cache when there is one.
    let libc = match candidate.flavor {
        Flavor::Zig => {
            super::zig_libc::before_probe(candidate, &version, &toolchain.target_flags(), ctx)?
        }
        Flavor::Gcc => None,
    };
    let dir = ctx.cache.temp_dir("probes")?;
    let source = dir.path().join("probe.c");
    std::fs::write(&source, PROBE_SOURCE)
        .map_err(crate::error::Error::io("cannot write", &source))?;
    let exe = dir.path().join("probe");
    let mut command = toolchain
        .cc
        .command(ctx)
        .args(toolchain.target_flags())
        .args(super::zig_libc::PROBE_FLAGS)
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .current_dir(dir.path());
    if let Some(capture) = &libc {
        command = command.env("ZIG_GLOBAL_CACHE_DIR", capture.zig_cache());
    }
    let output = command.output_any_status()?;
    if !output.status.success() {
        let text = format!("{}{}", output.stdout_text(), output.stderr_text());
        let reason = if text.contains("glibc, not musl") {
            "it links glibc, not musl".to_string()
        } else {
            format!(
                "cannot link a static executable: {}",
                first_error_line(&text)
            )
        };
        return Ok(Verdict::Unusable { version, reason });
    }
    let report = crate::verify::verify_file(&exe, Some(candidate.target))?;
    if !report.ok {
        return Ok(Verdict::Unusable {
            version,
            reason: report.problems.join("; "),
        });
    }
    if let Some(capture) = libc {
        capture.finish(ctx)?;
    }
    let fingerprint = fingerprint(candidate, &version, ctx);
    Ok(Verdict::Usable {
        version,
        fingerprint,
    })
}

/// A usable toolchain's fingerprint, which every key of what it builds holds: what the
/// toolchain is, never where — its provider, target and version, the compiler's content,
/// its leading arguments (a file among them, a specs file, by its content), for gcc the
/// files it runs and links (`gcc_parts`), and the CPU-pinning flags. The same compiler
/// installed at another path, under another home or on another machine keeps every key; a
/// changed one changes them. A file that cannot be read is named by its path: never
/// shared, never confused.
fn fingerprint(candidate: &Candidate, version: &str, ctx: &Ctx) -> String {
    let content = |path: &Path| {
        super::model::program_sha256(path, ctx).map_or_else(
            || path.as_os_str().as_encoded_bytes().to_vec(),
            String::into_bytes,
        )
    };
    let args = candidate.cc.args.iter().map(|arg| {
        let path = Path::new(arg);
        if path.is_absolute() && path.is_file() {
            [b"file ".as_slice(), &content(path)].concat()
        } else {
            [b"arg ".as_slice(), arg.as_encoded_bytes()].concat()
        }
    });
    CacheKey::new(KeyKind::Fingerprint)
        .part("provider", candidate.provider.name())
        .part("target", candidate.target.name())
        .part("version", version)
        .part("cc", content(&candidate.cc.program))
        .list("cc-args", args)
        .list(
            "parts",
            gcc_parts(candidate, ctx)
                .iter()
                .map(|(ask, path)| [ask.as_bytes(), b" ", &content(path)].concat()),
        )
        .list(
            "target-flags",
            candidate
                .toolchain(String::new(), String::new())
                .target_flags(),
        )
        .finish()
}

/// What the driver asks for a gcc: a driver (or a `musl-gcc` script) is the same file
/// across updates of the compiler proper, binutils or the C library, which decide the
/// bytes as much as it does.
const GCC_PARTS: &[&str] = &[
    "-print-prog-name=cc1",
    "-print-prog-name=as",
    "-print-prog-name=ld",
    "-print-libgcc-file-name",
    "-print-file-name=libc.a",
];

/// A gcc's parts as its driver finds them with the target's flags (multilib folders
/// follow them), each with its question: the ones it names by an absolute path to a
/// file. zig carries its compiler and its libc's sources in its own program and version.
fn gcc_parts(candidate: &Candidate, ctx: &Ctx) -> Vec<(&'static str, PathBuf)> {
    if candidate.flavor != Flavor::Gcc {
        return Vec::new();
    }
    let flags = candidate
        .toolchain(String::new(), String::new())
        .target_flags();
    GCC_PARTS
        .iter()
        .filter_map(|ask| {
            let output = candidate
                .cc
                .command(ctx)
                .args(&flags)
                .arg(ask)
                .output()
                .ok()?;
            let path = PathBuf::from(output.stdout_text().trim());
            (path.is_absolute() && path.is_file()).then_some((*ask, path))
        })
        .collect()
}

fn first_error_line(text: &str) -> String {
    text.lines()
        .find(|l| l.contains("error") || l.contains("cannot find") || l.contains("not found"))
        .or_else(|| text.lines().next())
        .unwrap_or("no output")
        .trim()
        .chars()
        .take(200)
        .collect()
}

fn version_of(candidate: &Candidate, ctx: &Ctx) -> std::result::Result<String, String> {
    let command = match candidate.flavor {
        Flavor::Zig => ctx.command(&candidate.cc.program).arg("version"),
        Flavor::Gcc => candidate
            .cc
            .command(ctx)
            .args(["-dumpfullversion", "-dumpversion"]),
    };
    let output = command
        .output()
        .map_err(|e| format!("cannot run it: {e}"))?;
    let text = output.stdout_text();
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return Err("it printed no version".into());
    }
    Ok(line.to_string())
}

/// A program shipped inside a Python package (`ziglang/zig`, `go/bin/go`). Asking Python
/// costs a process start, so the answer is cached by the interpreter's stamp; only found
/// paths are cached, so installing the package later is noticed.
pub(crate) fn python_package_program(
    package: &str,
    program: &Path,
    ctx: &Ctx,
    find: &dyn Fn(&str) -> Option<PathBuf>,
) -> Option<PathBuf> {
    let python = find("python3")?;
    let record = ctx.cache.dir("probes").join(format!(
        "{package}-{}",
        &CacheKey::new(KeyKind::ProgramStamp)
            .part("program", python.as_os_str().as_encoded_bytes())
            .part("stamp", file_stamp(&python))
            .finish()[..16]
    ));
    if let Ok(text) = std::fs::read_to_string(&record) {
        // The path, then a check binding it to the record's name: an edited path (to
        // another program) is named and looked up again.
        match crate::cache::read_checked_text(&record, &text) {
            Ok(Some(path)) if Path::new(path).is_file() => return Some(PathBuf::from(path)),
            Err(damage) => ctx.cache.warn_damaged(&record, &damage),
            _ => {}
        }
    }
    // The package name is ours (a constant), passed as argv, never user input.
    let output = ctx
        .command(&python)
        .args([
            "-c",
            "import importlib.util as u, os, sys; s = u.find_spec(sys.argv[1]); print(os.path.dirname(s.origin) if s and s.origin else '')",
            package,
        ])
        .env_clear()
        .env("PATH", ctx.env.path().cloned().unwrap_or_default())
        .output_any_status()
        .ok()?;
    let dir = output.stdout_text().trim().to_string();
    if !output.status.success() || dir.is_empty() {
        return None;
    }
    let found = PathBuf::from(dir).join(program);
    if !found.is_file() {
        return None;
    }
    if std::fs::create_dir_all(ctx.cache.dir("probes")).is_ok()
        && let Some(path) = found.to_str()
    {
        let _ = crate::sys::fs::write_atomic(
            ctx.temps(),
            &record,
            crate::cache::checked_text(&record, path).as_bytes(),
        );
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::key::machines::{self, Machine};

    /// A musl-cross gcc installed in the home, with a specs file beside it.
    fn installed_gcc(m: &Machine) -> Candidate {
        let gcc = m.home.join("toolchains/gcc/bin/x86_64-linux-musl-gcc");
        let specs = m.home.join("toolchains/gcc/musl.specs");
        Candidate {
            target: crate::target::Target::X86_64,
            provider: super::super::model::Provider::MuslCross,
            flavor: Flavor::Gcc,
            origin: "test".into(),
            cc: super::super::model::Tool::new(&gcc)
                .with_args([std::ffi::OsString::from("-specs"), specs.into()]),
            ar: super::super::model::Tool::new("ar"),
            ranlib: super::super::model::Tool::new("ranlib"),
            stamp: file_stamp(&gcc),
            entry: None,
        }
    }

    /// A fake gcc that answers the driver's questions as gcc does: the compiler proper and
    /// the C library beside it, a bare name for what it does not know.
    const FAKE_GCC: &str = r#"#!/bin/sh
dir=$(dirname "$0")
for arg; do
    case "$arg" in
        -print-prog-name=cc1) echo "$dir/../libexec/cc1"; exit 0 ;;
        -print-file-name=libc.a) echo "$dir/../lib/libc.a"; exit 0 ;;
        -print-*=*) echo "${arg#*=}"; exit 0 ;;
    esac
done
echo libgcc.a
"#;

    #[test]
    fn the_fingerprint_is_the_compilers_content_wherever_it_is_installed() {
        use std::os::unix::fs::PermissionsExt;
        let gcc = "toolchains/gcc/bin/x86_64-linux-musl-gcc";
        let [a, b] = machines::two(|m| {
            let path = m.write(&m.home, gcc, FAKE_GCC);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            m.write(&m.home, "toolchains/gcc/musl.specs", "a specs file");
            m.write(&m.home, "toolchains/gcc/libexec/cc1", "a compiler proper");
            m.write(&m.home, "toolchains/gcc/lib/libc.a", "a C library");
        });
        let print = |m: &Machine, version: &str| fingerprint(&installed_gcc(m), version, &m.ctx());
        let parts: Vec<&str> = gcc_parts(&installed_gcc(&a), &a.ctx())
            .into_iter()
            .map(|(ask, _)| ask)
            .collect();
        assert_eq!(parts, ["-print-prog-name=cc1", "-print-file-name=libc.a"]);
        assert_eq!(print(&a, "12.2.0"), print(&b, "12.2.0"));
        assert_ne!(
            print(&a, "12.2.0"),
            print(&a, "12.3.0"),
            "the version counts"
        );
        let mut seen = vec![print(&a, "12.2.0")];
        for (file, text) in [
            ("toolchains/gcc/musl.specs", "another specs file"),
            ("toolchains/gcc/libexec/cc1", "another compiler proper"),
            ("toolchains/gcc/lib/libc.a", "another C library"),
            (gcc, &format!("{FAKE_GCC}\n# another driver\n")),
        ] {
            a.write(&a.home, file, text);
            let now = print(&a, "12.2.0");
            assert!(!seen.contains(&now), "{file}'s content counts");
            seen.push(now);
        }
    }

    #[test]
    fn an_edited_record_is_not_believed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id.json");
        let cache = Cache::new(dir.path().join("cache"));
        let unusable = Verdict::Unusable {
            version: "12".into(),
            reason: "it links glibc, not musl".into(),
        };
        let record = Record {
            check: record_check("id", &unusable),
            verdict: unusable.clone(),
        };
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
        assert_eq!(read_record(&cache, &path, "id"), Some(unusable.clone()));
        // The same record under another candidate's identity is not that candidate's.
        assert_eq!(read_record(&cache, &path, "other"), None);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"unusable\"", "\"usable\"")
            .replace("\"reason\"", "\"fingerprint\"");
        std::fs::write(&path, text).unwrap();
        assert_eq!(read_record(&cache, &path, "id"), None);
    }
}
