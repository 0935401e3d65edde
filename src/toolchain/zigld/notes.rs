//! The notes file of a build step run through the `zig-cc` wrapper: what the wrapper
//! dropped, rewrote or refused in each of the step's compiler calls, read back after the
//! step to say it (`-v`) and to name a refused option when the step fails.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Note, Refusal};

/// One line of a build's notes file (`MUSLBUILD_ZIG_NOTES`, JSON): what the `zig-cc`
/// wrapper did in one of the build's compiler calls. Concurrent calls (`make -j`)
/// append whole lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Record {
    Note(Note),
    Refused(Refusal),
}

/// Appends `records` to the notes file, one line each, each in one write.
pub(crate) fn append_records(path: &Path, records: &[Record]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    for record in records {
        let mut line = serde_json::to_vec(record).expect("a record serialises");
        line.push(b'\n');
        file.write_all(&line)?;
    }
    Ok(())
}

/// The records of a notes file, each once, in the order first written (none when there
/// is no file); a line that does not parse is skipped.
pub(crate) fn read_records(path: &Path) -> Vec<Record> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out: Vec<Record> = Vec::new();
    for record in text
        .lines()
        .filter_map(|line| serde_json::from_str::<Record>(line).ok())
    {
        if !out.contains(&record) {
            out.push(record);
        }
    }
    out
}

/// The notes file of one build step that runs zig through the wrapper: named in the
/// step's environment (`MUSLBUILD_ZIG_NOTES`), emptied before it runs, read after.
pub(crate) struct NotesFile {
    pub(crate) path: std::path::PathBuf,
}

impl NotesFile {
    /// The notes file at `path` for a step built with `toolchain`; none unless it is zig.
    pub(crate) fn for_toolchain(
        toolchain: &crate::toolchain::model::Toolchain,
        path: std::path::PathBuf,
    ) -> Option<NotesFile> {
        (toolchain.flavor == crate::toolchain::model::Flavor::Zig).then_some(NotesFile { path })
    }

    /// Before the step: what an earlier run recorded goes.
    pub(crate) fn clear(&self) {
        let _ = std::fs::remove_file(&self.path);
    }

    /// After the step: its records; with `-v`, each dropped or rewritten option is said
    /// once, as `muslbuild: WHO: dropped --warn-common (…)`.
    pub(crate) fn finish(&self, ui: crate::sys::ui::Ui, who: &str) -> Vec<Record> {
        let records = read_records(&self.path);
        for record in &records {
            if let Record::Note(note) = record {
                ui.note(format_args!("{who}: {note}"));
            }
        }
        records
    }
}

/// The refusal a failed step's output shows: one the wrapper recorded and printed
/// (its argument is in `output`), else one zig made itself (`unsupported linker arg:
/// X`) for an option the table does not know.
pub(crate) fn refusal_in(output: &str, records: &[Record]) -> Option<Refusal> {
    let recorded = records.iter().rev().find_map(|record| match record {
        Record::Refused(refusal) if output.contains(&refusal.given) => Some(refusal.clone()),
        _ => None,
    });
    recorded.or_else(|| refused_by_zig(output))
}

/// zig's own words for an option its linker does not know.
pub(crate) fn refused_by_zig(output: &str) -> Option<Refusal> {
    const SAID: &[&str] = &[
        "unsupported linker arg: ",
        "unsupported linker extension flag: ",
    ];
    output.lines().find_map(|line| {
        SAID.iter().find_map(|said| {
            let option = line.split_once(said)?.1.trim();
            (!option.is_empty()).then(|| Refusal {
                option: option.to_string(),
                given: String::new(),
                why: "zig's linker does not know it".into(),
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::translate;
    use super::*;

    fn run(args: &[&str]) -> Result<super::super::Translation, Refusal> {
        let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        translate(&args, &|_| None)
    }

    #[test]
    fn zigs_own_refusals_are_read_from_its_output() {
        let said = "x.c:1: warning: w\nerror: unsupported linker arg: --no-relax\n";
        let refusal = refused_by_zig(said).unwrap();
        assert_eq!(refusal.option, "--no-relax");
        assert!(refusal.given.is_empty());
        let said = "error: unsupported linker extension flag: -z nognustack";
        assert_eq!(refused_by_zig(said).unwrap().option, "-z nognustack");
        assert_eq!(refused_by_zig("ld.lld: error: undefined symbol: f"), None);
    }

    #[test]
    fn notes_are_recorded_once_and_a_refusal_is_known_by_what_the_output_shows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.jsonl");
        assert!(read_records(&path).is_empty());
        let dropped = Record::Note(run(&["-Wl,--stats"]).unwrap().notes.remove(0));
        let probe = Record::Refused(run(&["-Wl,--defsym,probe=1"]).unwrap_err());
        let link = Record::Refused(run(&["-Wl,-z,muldefs"]).unwrap_err());
        // Two calls of a parallel make append the same note: it is read once.
        append_records(&path, &[dropped.clone(), probe.clone()]).unwrap();
        append_records(&path, &[dropped.clone(), link.clone()]).unwrap();
        std::fs::write(
            &path,
            std::fs::read_to_string(&path).unwrap() + "not a record\n",
        )
        .unwrap();
        assert_eq!(read_records(&path), [dropped, probe, link.clone()]);
        // A configure test's refusal that the failed step's output does not show is
        // not why it failed; the link's is.
        let output = "cc -Wl,-z,muldefs -o tool tool.c\nmuslbuild: error: ...";
        let found = refusal_in(output, &read_records(&path)).unwrap();
        assert_eq!(Record::Refused(found), link);
        assert_eq!(refusal_in("make: *** Error 2", &read_records(&path)), None);
    }
}
