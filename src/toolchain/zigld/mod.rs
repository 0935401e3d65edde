//! zig's linker front door: `zig cc` reads every `-Wl,`/`-Xlinker` argument itself and
//! refuses the GNU ld options it does not know (`error: unsupported linker arg:
//! --warn-common`), where GNU toolchains link. Real Makefiles pass such options. This
//! module is the translation between a build and `zig cc`: an option that changes nothing
//! in the executable is dropped, one zig knows under another spelling is rewritten, and
//! one with a meaning zig's linker lacks is refused with the reason. Everything else goes
//! through untouched, and zig decides.
//!
//! The table is data and is kept honest by a test that runs the real zig on every entry
//! (tests/it/zigld.rs): each one must be refused by zig as written, and accepted once
//! translated. Pure: the callers read response files (`read`) and run zig.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use serde::{Deserialize, Serialize};

mod notes;
mod per_source;
mod response;

pub(crate) use notes::{NotesFile, Record, append_records, refusal_in, refused_by_zig};
pub(crate) use per_source::one_compile_per_source;
use response::{expand, is_response_file};

pub(crate) use crate::toolchain::model::WRAPPER_COMMAND;

/// What a linker option takes after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operand {
    /// Nothing: `--warn-common`.
    None,
    /// A value, joined (`-Map=FILE`, `-zmuldefs`) or as the next linker argument.
    Required,
    /// A value only when joined with `=` (`--verbose=1`, `--demangle=gnu`).
    Optional,
    /// This one value (joined or next): `-z muldefs` is one option, `-z relro` another.
    Is(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// Changes nothing in the executable: the option goes.
    Drop,
    /// A meaning zig's linker lacks: the link is refused, naming the option.
    Refuse,
    /// `--undefined=SYM` is `-u SYM`.
    Undefined,
    /// `-M` is `--print-map`.
    PrintMap,
    /// A partial link: zig takes `-r` from the driver, not from the linker's arguments.
    Relocatable,
}

/// One GNU ld option. `name` is ld's spelling without its dashes: ld takes one or two
/// dashes before a long name (`-stats`, `--stats`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rule {
    name: &'static str,
    operand: Operand,
    action: Action,
    why: &'static str,
}

const fn rule(name: &'static str, operand: Operand, action: Action, why: &'static str) -> Rule {
    Rule {
        name,
        operand,
        action,
        why,
    }
}

use Action::{Drop, PrintMap, Refuse, Relocatable, Undefined};
use Operand::{Is, Optional, Required};

/// Only what zig 0.17.1 refuses (checked against the real zig by tests/it/zigld.rs).
/// Options GNU ld takes and zig accepts as well need no entry: `--sort-common`,
/// `--sort-section`, `--hash-style=`, `--no-undefined-version`, `--as-needed`, `-O1`,
/// `-rpath-link`, `--build-id`, `-z relro`/`now`/`noexecstack`, `--print-map`.
#[rustfmt::skip]
pub(crate) const RULES: &[Rule] = &[
    // Messages and reports for people: the executable is the same without them.
    rule("warn-common", Operand::None, Drop, "it only warns about common symbols"),
    rule("warn-once", Operand::None, Drop, "it only changes how often undefined symbols are warned about"),
    rule("warn-section-align", Operand::None, Drop, "it only warns"),
    rule("no-warn-rwx-segments", Operand::None, Drop, "it only silences a warning"),
    rule("warn-rwx-segments", Operand::None, Drop, "it only turns a warning on"),
    rule("no-warn-execstack", Operand::None, Drop, "it only silences a warning"),
    rule("no-enum-size-warning", Operand::None, Drop, "it only silences a warning"),
    rule("stats", Operand::None, Drop, "it only prints the linker's statistics"),
    rule("verbose", Optional, Drop, "it only prints the linker's version and script"),
    rule("cref", Operand::None, Drop, "it only prints a cross-reference table"),
    rule("trace", Operand::None, Drop, "it only prints each input file as it is read"),
    rule("t", Operand::None, Drop, "it only prints each input file as it is read"),
    rule("trace-symbol", Required, Drop, "it only prints where a symbol is used"),
    rule("y", Required, Drop, "it only prints where a symbol is used"),
    rule("print-memory-usage", Operand::None, Drop, "it only prints how full memory regions are"),
    rule("demangle", Optional, Drop, "it only changes how symbols are named in messages"),
    rule("no-demangle", Operand::None, Drop, "it only changes how symbols are named in messages"),
    rule("Map", Required, Drop, "a link map is a report for people, and `-Wl,--print-map` prints lld's on stdout"),
    rule("gdb-index", Operand::None, Drop, "it only speeds up gdb's start"),
    // How the linker itself runs.
    rule("no-keep-memory", Operand::None, Drop, "it only changes the linker's own memory use"),
    rule("reduce-memory-overheads", Operand::None, Drop, "it only changes the linker's own memory use"),
    rule("threads", Optional, Drop, "it only changes how many threads the linker uses"),
    rule("no-threads", Operand::None, Drop, "it only changes how many threads the linker uses"),
    // What zig's linker does anyway, or what a static executable has no use for.
    rule("error-unresolved-symbols", Operand::None, Drop, "an undefined symbol is an error anyway"),
    rule("z", Is("text"), Drop, "lld refuses text relocations anyway"),
    rule("z", Is("separate-code"), Drop, "it only decides whether code gets pages of its own; the program runs the same"),
    rule("z", Is("noseparate-code"), Drop, "it only decides whether code gets pages of its own; the program runs the same"),
    rule("copy-dt-needed-entries", Operand::None, Drop, "it concerns shared libraries' DT_NEEDED entries, which a static executable has none of"),
    rule("no-copy-dt-needed-entries", Operand::None, Drop, "it concerns shared libraries' DT_NEEDED entries, which a static executable has none of"),
    // Other spellings of what zig takes.
    rule("undefined", Required, Undefined, "zig's linker takes it as -u"),
    rule("M", Operand::None, PrintMap, "zig's linker takes it as --print-map"),
    rule("relocatable", Operand::None, Relocatable, "zig cc takes a partial link as the driver's -r"),
    rule("r", Operand::None, Relocatable, "zig cc takes a partial link as the driver's -r"),
    // Meanings zig's linker lacks.
    rule("defsym", Required, Refuse, "it defines a symbol's value at link time"),
    rule("allow-multiple-definition", Operand::None, Refuse, "it links a program that defines a symbol twice"),
    rule("z", Is("muldefs"), Refuse, "it links a program that defines a symbol twice"),
    rule("section-start", Required, Refuse, "it places a section at a fixed address"),
    rule("Ttext", Required, Refuse, "it places a section at a fixed address"),
    rule("Tdata", Required, Refuse, "it places a section at a fixed address"),
    rule("Tbss", Required, Refuse, "it places a section at a fixed address"),
    rule("Ttext-segment", Required, Refuse, "it places the text segment at a fixed address"),
    rule("no-warn-mismatch", Operand::None, Refuse, "it links objects built for mismatched ABIs"),
    rule("emit-relocs", Operand::None, Refuse, "it keeps relocations in the executable for post-link tools"),
    rule("q", Operand::None, Refuse, "it keeps relocations in the executable for post-link tools"),
    rule("unresolved-symbols", Required, Refuse, "it changes how undefined symbols are treated"),
    rule("dynamic-list", Required, Refuse, "it chooses the symbols an executable exports"),
    rule("fix-cortex-a53-843419", Operand::None, Refuse, "it works around an erratum of Cortex-A53 CPUs"),
];

/// Every rule as a build would write it (`-Wl,--defsym,main=0`), and whether it is
/// refused: for the test that runs the real zig on the whole table.
pub fn examples() -> Vec<(String, bool)> {
    RULES
        .iter()
        .map(|rule| {
            let dashes = if rule.name.len() == 1 { "-" } else { "--" };
            let operand = match rule.operand {
                Operand::None | Optional => String::new(),
                Required => ",main=0".to_string(),
                Is(value) => format!(",{value}"),
            };
            (
                format!("-Wl,{dashes}{}{operand}", rule.name),
                rule.action == Refuse,
            )
        })
        .collect()
}

/// What the translation did to one option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Class {
    Dropped,
    Rewritten,
}

/// One option dropped or rewritten, for `-v`: `dropped --warn-common (it only warns
/// about common symbols)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Note {
    pub(crate) class: Class,
    /// As the linker would have seen it, with its operand: `-Map busybox_unstripped.map`.
    pub(crate) option: String,
    /// What it became (rewritten only): `-u lbb_main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) became: Option<String>,
    pub(crate) why: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.class, &self.became) {
            (Class::Rewritten, Some(to)) => {
                write!(f, "rewrote {} as {} ({})", self.option, to, self.why)
            }
            _ => write!(
                f,
                "dropped {} ({}; zig's linker does not take it)",
                self.option, self.why
            ),
        }
    }
}

/// An option with a meaning zig's linker lacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Refusal {
    /// As the linker would have seen it: `--defsym foo=0`.
    pub(crate) option: String,
    /// The argument of the command line it came in: `-Wl,--defsym,foo=0`.
    pub(crate) given: String,
    pub(crate) why: String,
}

/// The arguments to give zig, and what was changed on the way.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Translation {
    pub(crate) args: Vec<OsString>,
    pub(crate) notes: Vec<Note>,
}

/// Translates a `zig cc` command line (the arguments after `zig`). `-Wl,a,b,c` lists,
/// `-Xlinker x` pairs and the contents of response files (`@file`, read with `read`;
/// one that cannot be read is passed as it is, as gcc does) form one stream of linker
/// arguments, so an option and its operand may come in two of them (`-Wl,-Map
/// -Wl,FILE`). Arguments are returned as given unless something changed: a response file
/// whose contents changed is replaced by its translated contents.
pub(crate) fn translate(
    args: &[OsString],
    read: &dyn Fn(&Path) -> Option<Vec<u8>>,
) -> Result<Translation, Refusal> {
    let flat = expand(args, read);
    let slots = slots(&flat);
    let items: Vec<(usize, &OsStr)> = slots
        .iter()
        .enumerate()
        .flat_map(|(i, slot)| slot.items.iter().map(move |item| (i, item.as_os_str())))
        .collect();
    let mut fates: Vec<Fate> = vec![Fate::Keep; items.len()];
    let mut notes: Vec<Note> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let text = items[i].1.to_str();
        let next = items.get(i + 1).and_then(|(_, t)| t.to_str());
        let Some((rule, operand, used_next)) = text.and_then(|t| matching(t, next)) else {
            i += 1;
            continue;
        };
        let option = match (operand, used_next) {
            (Some(v), true) => format!("{} {v}", text.unwrap_or_default()),
            _ => text.unwrap_or_default().to_string(),
        };
        let why = rule.why.to_string();
        if used_next {
            fates[i + 1] = Fate::Gone;
        }
        match rule.action {
            Drop => {
                fates[i] = Fate::Gone;
                push_note(&mut notes, Class::Dropped, option, None, why);
            }
            Refuse => {
                return Err(Refusal {
                    option,
                    given: slots[items[i].0].given.to_string_lossy().into_owned(),
                    why,
                });
            }
            Undefined => {
                let symbol = operand.unwrap_or_default().to_string();
                fates[i] = Fate::Linker(vec!["-u".into(), symbol.clone()]);
                push_note(
                    &mut notes,
                    Class::Rewritten,
                    option,
                    Some(format!("-u {symbol}")),
                    why,
                );
            }
            PrintMap => {
                fates[i] = Fate::Linker(vec!["--print-map".into()]);
                push_note(
                    &mut notes,
                    Class::Rewritten,
                    option,
                    Some("--print-map".into()),
                    why,
                );
            }
            Relocatable => {
                fates[i] = Fate::Driver("-r");
                push_note(&mut notes, Class::Rewritten, option, Some("-r".into()), why);
            }
        }
        i += if used_next { 2 } else { 1 };
    }
    if fates.iter().all(|f| *f == Fate::Keep) {
        return Ok(Translation {
            args: args.to_vec(),
            notes,
        });
    }
    // Each slot rebuilt from its items' fates, then grouped back by the argument of the
    // command line it came from.
    let mut rebuilt: Vec<Vec<OsString>> = vec![Vec::new(); args.len()];
    let mut changed = vec![false; args.len()];
    let mut item = 0;
    for slot in &slots {
        let own = &fates[item..item + slot.items.len()];
        item += slot.items.len();
        let out = &mut rebuilt[slot.origin];
        if own.iter().all(|f| *f == Fate::Keep) {
            out.extend(slot.original.iter().cloned());
            continue;
        }
        changed[slot.origin] = true;
        let mut linker: Vec<OsString> = Vec::new();
        for (fate, text) in own.iter().zip(&slot.items) {
            match fate {
                Fate::Keep => linker.push(text.clone()),
                Fate::Gone => {}
                Fate::Linker(words) => linker.extend(words.iter().map(OsString::from)),
                Fate::Driver(word) => out.push(word.into()),
            }
        }
        match slot.kind {
            SlotKind::Wl if !linker.is_empty() => out.push(join_wl(&linker)),
            SlotKind::Wl => {}
            SlotKind::Xlinker => {
                for word in linker {
                    out.push("-Xlinker".into());
                    out.push(word);
                }
            }
            SlotKind::Plain => unreachable!("a plain argument has no linker items"),
        }
    }
    let mut out = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        if changed[i] || !is_response_file(arg, read) {
            out.append(&mut rebuilt[i]);
        } else {
            out.push(arg.clone());
        }
    }
    Ok(Translation { args: out, notes })
}

fn push_note(
    notes: &mut Vec<Note>,
    class: Class,
    option: String,
    became: Option<String>,
    why: String,
) {
    let note = Note {
        class,
        option,
        became,
        why,
    };
    if !notes.contains(&note) {
        notes.push(note);
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Fate {
    Keep,
    Gone,
    /// Other linker arguments in its place.
    Linker(Vec<String>),
    /// A driver argument in its place.
    Driver(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotKind {
    Plain,
    Wl,
    Xlinker,
}

/// One argument as the driver sees it (`-Xlinker x` is one), with its linker items.
struct Slot {
    kind: SlotKind,
    /// The driver arguments it is made of.
    original: Vec<OsString>,
    /// How it was written, for messages.
    given: OsString,
    items: Vec<OsString>,
    /// The command-line argument it came from (a response file's index for its contents).
    origin: usize,
}

fn slots(flat: &[(OsString, usize)]) -> Vec<Slot> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < flat.len() {
        let (arg, origin) = &flat[i];
        let bytes = arg.as_bytes();
        if let Some(list) = bytes.strip_prefix(b"-Wl,") {
            out.push(Slot {
                kind: SlotKind::Wl,
                original: vec![arg.clone()],
                given: arg.clone(),
                items: list
                    .split(|&b| b == b',')
                    .map(|s| OsString::from_vec(s.to_vec()))
                    .collect(),
                origin: *origin,
            });
            i += 1;
        } else if bytes == b"-Xlinker" && i + 1 < flat.len() {
            let value = flat[i + 1].0.clone();
            let mut given = arg.clone();
            given.push(" ");
            given.push(&value);
            out.push(Slot {
                kind: SlotKind::Xlinker,
                original: vec![arg.clone(), value.clone()],
                given,
                items: vec![value],
                origin: *origin,
            });
            i += 2;
        } else if matches!(bytes, b"-Xclang" | b"-Xassembler" | b"-Xpreprocessor")
            && i + 1 < flat.len()
        {
            // Their operand is for another tool, never a linker argument.
            for (arg, origin) in &flat[i..i + 2] {
                out.push(plain(arg, *origin));
            }
            i += 2;
        } else {
            out.push(plain(arg, *origin));
            i += 1;
        }
    }
    out
}

fn plain(arg: &OsString, origin: usize) -> Slot {
    Slot {
        kind: SlotKind::Plain,
        original: vec![arg.clone()],
        given: arg.clone(),
        items: Vec::new(),
        origin,
    }
}

fn join_wl(words: &[OsString]) -> OsString {
    let mut bytes = b"-Wl".to_vec();
    for word in words {
        bytes.push(b',');
        bytes.extend_from_slice(word.as_bytes());
    }
    OsString::from_vec(bytes)
}

/// The rule `text` (a linker argument) matches, its operand, and whether the operand is
/// the next linker argument.
fn matching<'a>(
    text: &'a str,
    next: Option<&'a str>,
) -> Option<(&'static Rule, Option<&'a str>, bool)> {
    let body = text.strip_prefix('-')?;
    RULES.iter().find_map(|rule| {
        let (value, joined) = if rule.name.len() == 1 {
            // `-t`, `-M`; `-z muldefs` or `-zmuldefs`.
            let rest = body.strip_prefix(rule.name)?;
            match rest {
                "" => (None, false),
                _ if rule.operand != Operand::None && rule.operand != Optional => {
                    (Some(rest), true)
                }
                _ => return None,
            }
        } else {
            let body = body.strip_prefix('-').unwrap_or(body);
            match body.split_once('=') {
                Some((name, value)) if name == rule.name => (Some(value), true),
                None if body == rule.name => (None, false),
                _ => return None,
            }
        };
        match (rule.operand, value) {
            (Operand::None, None) | (Optional, _) => Some((rule, value, false)),
            (Operand::None, Some(_)) => None,
            (Required, Some(v)) => Some((rule, Some(v), false)),
            (Required, None) => next.map(|n| (rule, Some(n), true)),
            (Is(want), Some(v)) if joined => (v == want).then_some((rule, Some(v), false)),
            (Is(want), _) => (next == Some(want)).then_some((rule, next, true)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn no_files(_: &Path) -> Option<Vec<u8>> {
        None
    }

    fn run(args: &[&str]) -> Result<Translation, Refusal> {
        translate(&os(args), &no_files)
    }

    fn args_of(t: &Translation) -> Vec<String> {
        t.args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn harmless_options_are_dropped_and_named() {
        let t = run(&["cc", "-Wl,--warn-common", "x.o", "-o", "x"]).unwrap();
        assert_eq!(args_of(&t), ["cc", "x.o", "-o", "x"]);
        assert_eq!(t.notes.len(), 1);
        assert_eq!(t.notes[0].class, Class::Dropped);
        assert_eq!(t.notes[0].option, "--warn-common");
        assert_eq!(
            t.notes[0].to_string(),
            "dropped --warn-common (it only warns about common symbols; zig's linker does not take it)"
        );
        // One dash or two, as GNU ld takes them.
        for stats in ["-Wl,-stats", "-Wl,--stats"] {
            let t = run(&[stats]).unwrap();
            assert!(t.args.is_empty(), "{stats}");
            assert_eq!(t.notes[0].class, Class::Dropped);
        }
    }

    #[test]
    fn a_list_keeps_what_zig_takes_in_its_order() {
        let t = run(&["-Wl,--gc-sections,--warn-common,--sort-common,-O1"]).unwrap();
        assert_eq!(args_of(&t), ["-Wl,--gc-sections,--sort-common,-O1"]);
    }

    #[test]
    fn an_operand_goes_with_its_option_across_arguments() {
        // busybox's trylink: `-Wl,-Map,$EXE.map`; others `-Wl,-Map -Wl,FILE` or
        // `-Xlinker -Map -Xlinker FILE`.
        for args in [
            &["-Wl,-Map,bb.map", "a.o"][..],
            &["-Wl,-Map", "-Wl,bb.map", "a.o"],
            &["-Xlinker", "-Map", "-Xlinker", "bb.map", "a.o"],
            &["-Wl,-Map=bb.map", "a.o"],
            &["-Wl,--Map=bb.map", "a.o"],
        ] {
            let t = run(args).unwrap();
            assert_eq!(args_of(&t), ["a.o"], "{args:?}");
            let option = &t.notes[0].option;
            assert!(
                option.starts_with("-") && option.ends_with("bb.map"),
                "{option}"
            );
        }
    }

    #[test]
    fn a_value_is_not_mistaken_for_an_option() {
        // `-z text` is dropped; `-z relro` and `-z now` are zig's own and stay.
        let t = run(&[
            "-Wl,-z,relro,-z,text,-z,now",
            "-Xlinker",
            "-z",
            "-Xlinker",
            "text",
        ])
        .unwrap();
        assert_eq!(args_of(&t), ["-Wl,-z,relro,-z,now"]);
        // `--verbose` takes no separate operand: the next argument stays.
        let t = run(&["-Wl,--verbose,--gc-sections"]).unwrap();
        assert_eq!(args_of(&t), ["-Wl,--gc-sections"]);
        // An option zig does not need translated, that only starts like one that does.
        let t = run(&["-Wl,--stats-file-unknown,-Map-x"]).unwrap();
        assert_eq!(args_of(&t), ["-Wl,--stats-file-unknown,-Map-x"]);
        assert!(t.notes.is_empty());
        // -Tscript is a linker script, not -Ttext.
        let t = run(&["-Wl,-Tbusybox_ldscript"]).unwrap();
        assert_eq!(args_of(&t), ["-Wl,-Tbusybox_ldscript"]);
    }

    #[test]
    fn rewrites_use_the_spelling_zig_takes() {
        let t = run(&["-Wl,--undefined=lbb_main,--gc-sections"]).unwrap();
        assert_eq!(args_of(&t), ["-Wl,-u,lbb_main,--gc-sections"]);
        assert_eq!(t.notes[0].class, Class::Rewritten);
        assert_eq!(
            t.notes[0].to_string(),
            "rewrote --undefined=lbb_main as -u lbb_main (zig's linker takes it as -u)"
        );
        let t = run(&["-Xlinker", "--undefined", "-Xlinker", "main"]).unwrap();
        assert_eq!(args_of(&t), ["-Xlinker", "-u", "-Xlinker", "main"]);
        let t = run(&["-Wl,-M"]).unwrap();
        assert_eq!(args_of(&t), ["-Wl,--print-map"]);
        // A partial link moves to the driver, where zig takes it.
        let t = run(&["-nostdlib", "-Wl,-r", "a.o", "b.o", "-o", "all.o"]).unwrap();
        assert_eq!(
            args_of(&t),
            ["-nostdlib", "-r", "a.o", "b.o", "-o", "all.o"]
        );
    }

    #[test]
    fn meaningful_options_are_refused_naming_how_they_came() {
        let err = run(&["a.o", "-Wl,--gc-sections,--defsym,foo=0"]).unwrap_err();
        assert_eq!(err.option, "--defsym foo=0");
        assert_eq!(err.given, "-Wl,--gc-sections,--defsym,foo=0");
        assert!(err.why.contains("symbol"), "{}", err.why);
        let err = run(&["-Xlinker", "-z", "-Xlinker", "muldefs"]).unwrap_err();
        assert_eq!(err.option, "-z muldefs");
        let err = run(&["-Wl,-zmuldefs"]).unwrap_err();
        assert_eq!(err.option, "-zmuldefs");
        let err = run(&["-Wl,-Ttext=0x10000"]).unwrap_err();
        assert_eq!(err.option, "-Ttext=0x10000");
    }

    #[test]
    fn nothing_to_do_keeps_the_command_line_as_it_is() {
        let args = [
            "cc",
            "-target",
            "x86_64-linux-musl",
            "-Wl,--gc-sections",
            "-Xclang",
            "-Wl,--warn-common",
            "x.c",
        ];
        let t = run(&args).unwrap();
        assert_eq!(args_of(&t), args);
        assert!(t.notes.is_empty());
        // A dangling -Xlinker or -Wl, is zig's to judge.
        assert_eq!(args_of(&run(&["-Xlinker"]).unwrap()), ["-Xlinker"]);
        assert_eq!(args_of(&run(&["-Wl,"]).unwrap()), ["-Wl,"]);
        // An operand-taking option at the end, with no operand, stays too.
        assert_eq!(args_of(&run(&["-Wl,-Map"]).unwrap()), ["-Wl,-Map"]);
    }

    #[test]
    fn response_files_are_read_and_replaced_only_when_changed() {
        let read = |path: &Path| -> Option<Vec<u8>> {
            match path.to_str()? {
                "link.rsp" => Some(
                    b"a.o 'b c.o'\n-Wl,--warn-common\n\"-Wl,-Map\" -Wl,x.map @inner.rsp".to_vec(),
                ),
                "inner.rsp" => Some(b"-Wl,--stats d\\ e.o".to_vec()),
                "clean.rsp" => Some(b"a.o -Wl,--gc-sections".to_vec()),
                _ => None,
            }
        };
        let t = translate(&os(&["cc", "@link.rsp", "-o", "x"]), &read).unwrap();
        assert_eq!(args_of(&t), ["cc", "a.o", "b c.o", "d e.o", "-o", "x"]);
        assert_eq!(t.notes.len(), 3);
        let t = translate(&os(&["cc", "@clean.rsp", "@missing.rsp"]), &read).unwrap();
        assert_eq!(args_of(&t), ["cc", "@clean.rsp", "@missing.rsp"]);
        // An unchanged response file stays even when another argument changed.
        let t = translate(&os(&["@clean.rsp", "-Wl,--warn-common"]), &read).unwrap();
        assert_eq!(args_of(&t), ["@clean.rsp"]);
    }

    #[test]
    fn a_response_file_that_names_itself_ends() {
        let read = |_: &Path| Some(b"-Wl,--stats @self.rsp".to_vec());
        let t = translate(&os(&["@self.rsp"]), &read).unwrap();
        assert!(t.args.iter().all(|a| a != "-Wl,--stats"), "{:?}", t.args);
    }

    #[test]
    fn every_rule_is_matched_by_its_own_spelling() {
        for rule in RULES {
            let written = match (rule.name.len(), rule.operand) {
                (1, Operand::None) => format!("-{}", rule.name),
                (1, Is(v)) => format!("-{}{v}", rule.name),
                (1, _) => format!("-{}X", rule.name),
                (_, Operand::None | Optional) => format!("--{}", rule.name),
                (_, Is(v)) => format!("--{}={v}", rule.name),
                (_, Required) => format!("--{}=X", rule.name),
            };
            let (found, _, _) = matching(&written, None).unwrap_or_else(|| panic!("{written}"));
            assert_eq!(found.name, rule.name, "{written}");
        }
    }
}
