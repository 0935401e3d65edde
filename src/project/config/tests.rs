use super::*;

fn project(files: &[(&str, &str)], toml: &str) -> (tempfile::TempDir, Result<Project>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let file = dir.path().join(FILE_NAME);
    let result = parse(toml, &file);
    (dir, result)
}

fn config_error(result: Result<Project>) -> (usize, usize, String, String) {
    match result {
        Err(Error::Config {
            line,
            column,
            message,
            help,
            ..
        }) => (line, column, message, help),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn sources_take_globs_and_excludes_and_targets_a_string() {
    let files = [
        ("src/a.c", ""),
        ("src/b.c", ""),
        ("src/luac.c", ""),
        ("src/x.h", ""),
    ];
    let (dir, result) = project(
        &files,
        "[project]\ntargets = \"all\"\n[c.x]\nsources = [\"src/*.c\"]\nexclude = [\"src/luac.c\"]\n",
    );
    let p = result.unwrap();
    assert_eq!(p.targets, Target::ALL);
    assert_eq!(
        p.c[0].program.sources,
        [dir.path().join("src/a.c"), dir.path().join("src/b.c")]
    );
    let (_dir, result) = project(&files, "[c.x]\nsources = [\"lib/*.c\"]\n");
    let (line, column, message, _) = config_error(result);
    assert_eq!((line, column), (2, 12));
    assert!(message.contains("matches no file"), "{message}");
}

#[test]
fn vendor_prefix_must_be_absolute_and_bootstrap_a_program() {
    let files = [("t/Makefile", "all:\n")];
    let (_d, result) = project(
        &files,
        "[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\nprefix = \"opt/t\"\n",
    );
    let (line, _, message, _) = config_error(result);
    assert_eq!(line, 4);
    assert!(message.contains("not an absolute path"), "{message}");
    let (_d, result) = project(
        &files,
        "[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\nbootstrap = [\"autoreconf -fi\"]\n",
    );
    let (_, _, message, help) = config_error(result);
    assert!(message.contains("not a program name"), "{message}");
    assert!(help.contains("never goes through a shell"), "{help}");
    let (_d, result) = project(
        &files,
        "[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\nprefix = \"/opt/t\"\nstrip = false\ncflags = [\"-DX\"]\nhost-tools = [\"flex\"]\nenv = { A = \"b\" }\n",
    );
    let v = &result.unwrap().vendor[0];
    assert_eq!(v.recipe.prefix.as_deref(), Some("/opt/t"));
    assert!(!v.recipe.strip);
    assert_eq!(v.recipe.host_tools, ["flex"]);
    assert_eq!(v.recipe.cflags, ["-DX"]);
    assert_eq!(v.recipe.env.get("A").map(String::as_str), Some("b"));
    assert_eq!(v.recipe.exports.programs, ["t"]);
    assert_eq!(v.programs, ["t"]);
}

#[test]
fn the_starter_file_parses() {
    let (_dir, result) = project(&[("hello.c", "int main(){return 0;}")], STARTER);
    let p = result.unwrap();
    assert_eq!(p.targets.len(), 3);
    assert_eq!(p.artifact_names(), ["hello"]);
    assert!(p.out_dir.ends_with("dist"));
    assert!(p.sbom, "SBOMs are on unless the file says `sbom = false`");
}

#[test]
fn sbom_false_turns_sboms_off() {
    let (_dir, result) = project(
        &[("hello.c", "int main(){return 0;}")],
        "[project]\nsbom = false\n[c.hello]\nsources = [\"hello.c\"]\n",
    );
    assert!(!result.unwrap().sbom);
}

#[test]
fn unknown_key_has_position_and_suggestion() {
    let (_d, r) = project(&[], "[c.hello]\nsrcs = [\"a.c\"]\n");
    let (line, column, message, help) = config_error(r);
    assert_eq!((line, column), (2, 1));
    assert_eq!(message, "unknown key `srcs`");
    assert!(help.starts_with("did you mean `sources`?"), "{help}");
}

#[test]
fn syntax_error_has_position() {
    let (_d, r) = project(&[], "[project]\ntargets = [\"x86_64\"\n");
    let (line, column, message, _) = config_error(r);
    assert_eq!((line, column), (2, 20));
    assert!(message.contains("unclosed array"), "{message}");
}

#[test]
fn artifact_named_twice() {
    let (_d, r) = project(
        &[("a.c", ""), ("cmd/a/main.go", "package main")],
        "[c.a]\nsources = [\"a.c\"]\n[go.a]\npackage = \"cmd/a\"\n",
    );
    let (line, column, message, help) = config_error(r);
    assert_eq!((line, column), (3, 5));
    assert_eq!(message, "artifact `a` is named twice");
    assert!(help.contains("line 1, column 4"), "{help}");
}

#[test]
fn library_cycle() {
    let (_d, r) = project(
        &[("x/Makefile", ""), ("y/Makefile", "")],
        "[lib.x]\npath = \"x\"\ndeps = [\"y\"]\n\n[lib.y]\npath = \"y\"\ndeps = [\"x\"]\n",
    );
    let (line, column, message, _) = config_error(r);
    assert_eq!((line, column), (1, 6));
    assert_eq!(message, "library dependency cycle: x -> y -> x");
}

#[test]
fn image_names_a_missing_artifact() {
    let (_d, r) = project(
        &[("hello.c", "")],
        "[c.hello]\nsources = [\"hello.c\"]\n[image]\nartifacts = [\"hello\", \"helo=/bin/x\"]\n",
    );
    let (line, column, message, help) = config_error(r);
    assert_eq!((line, column), (4, 23));
    assert!(message.contains("`helo`"), "{message}");
    assert!(help.starts_with("did you mean `hello`?"), "{help}");
}

#[test]
fn unknown_library_and_missing_source() {
    let (_d, r) = project(
        &[("a.c", "")],
        "[c.a]\nsources = [\"a.c\"]\nlibs = [\"readlin\"]\n",
    );
    let (line, column, message, help) = config_error(r);
    assert_eq!(
        (line, column, message.as_str()),
        (3, 9, "unknown library `readlin`")
    );
    assert!(help.starts_with("did you mean `readline`?"), "{help}");
    let (_d, r) = project(&[], "[c.a]\nsources = [\"nope.c\"]\n");
    let (line, column, _, _) = config_error(r);
    assert_eq!((line, column), (2, 12));
}

#[test]
fn go_libraries_need_cgo() {
    let (_d, r) = project(
        &[("cmd/x/main.go", "package main")],
        "[go.x]\npackage = \"cmd/x\"\nlibs = [\"zlib\"]\n",
    );
    let (line, column, message, _) = config_error(r);
    assert_eq!((line, column), (3, 9));
    assert!(message.contains("without cgo"), "{message}");
}

#[test]
fn bad_target_has_position() {
    let (_d, r) = project(&[], "[project]\ntargets = [\"x86_64\", \"mips\"]\n");
    let (line, column, _, _) = config_error(r);
    assert_eq!((line, column), (2, 22));
}

#[test]
fn every_image_check_runs_at_load_with_its_position() {
    let c = "[c.hello]\nsources = [\"hello.c\"]\n[c.tool]\nsources = [\"hello.c\"]\n[vendor.v]\npath = \"v\"\nprograms = [\"vd\"]\n";
    let files = [("hello.c", ""), ("v/Makefile", ""), ("conf/app.conf", "x")];
    for (image, line, column, needle) in [
        ("ports = [\"80\", \"http\"]", 9, 16, "not a port"),
        (
            "artifacts = [\"hello=/bin/x\", \"tool=/bin/x\"]",
            9,
            30,
            "twice",
        ),
        (
            "bin-dir = \"/etc\"\npasswd = true\nartifacts = [\"hello\", \"tool\", \"vd=/etc/passwd\"]",
            10,
            10,
            "twice",
        ),
        ("tag = \"bad tag\"", 9, 7, "not a valid image tag"),
        (
            "files = [{ source = \"conf/nope.conf\", path = \"/etc/app.conf\" }]",
            9,
            21,
            "does not exist",
        ),
        (
            "dirs = [{ path = \"/var/../etc\" }]",
            9,
            18,
            "not a valid path",
        ),
        (
            "vendor-files = [{ vendor = \"w\", source = \"/etc/w.conf\" }]",
            9,
            28,
            "vendored project `w`",
        ),
        (
            "[[image.dirs]]\npath = \"/run\"\n[[image.dirs]]\npath = \"/run\"",
            12,
            8,
            "twice",
        ),
        (
            "files = [{ source = \"conf/app.conf\", path = \"/etc/app.conf\", mode = \"0999\" }]",
            9,
            69,
            "octal mode",
        ),
    ] {
        let (_d, r) = project(&files, &format!("{c}[image]\n{image}\n"));
        let (l, col, message, help) = config_error(r);
        assert!(message.contains(needle), "{image}: {message}");
        assert_eq!((l, col), (line, column), "{image}: {message}");
        assert!(!help.is_empty());
    }
    let (_d, r) = project(
        &files,
        &format!(
            "{c}[image]\nfiles = [{{ source = \"conf/app.conf\", path = \"/etc/app.conf\", mode = 0o640 }}]\ndirs = [{{ path = \"/run\" }}]\n"
        ),
    );
    let spec = r.unwrap().image.unwrap();
    assert_eq!(spec.files[0].mode, Some(crate::image::spec::Mode(0o640)));
}

#[test]
fn unknown_image_key_is_caught_too() {
    let (_d, r) = project(&[], "[image]\ntagg = \"x\"\n");
    let (_, _, message, help) = config_error(r);
    assert_eq!(message, "unknown key `tagg`");
    assert!(help.starts_with("did you mean `tag`?"), "{help}");
}

#[test]
fn lib_tables_become_recipes_with_the_folder_as_their_defaults() {
    let files = [("z/configure", "#!/bin/sh\n"), ("w/Makefile", "all:\n")];
    let (dir, result) = project(
        &files,
        "[lib.z]\npath = \"z\"\n[lib.w]\npath = \"w\"\nversion = \"2.0\"\ndescription = \"mine\"\ndeps = [\"z\"]\nbuild = \"make\"\nmake = { args = [\"A=b\"] }\nexports = { libs = [\"w\"] }\n",
    );
    let p = result.unwrap();
    let z = p.libs.iter().find(|r| r.name == "z").unwrap();
    assert_eq!(z.version, "vendored");
    assert_eq!(
        z.description,
        format!("vendored from {}", dir.path().join("z").display())
    );
    assert_eq!(z.build, crate::libs::BuildSystem::Autotools);
    assert_eq!(z.path.as_deref(), Some(dir.path().join("z").as_path()));
    assert!(z.strip && z.sources.is_empty() && z.exports.programs.is_empty());
    let w = p.libs.iter().find(|r| r.name == "w").unwrap();
    assert_eq!(
        (w.version.as_str(), w.description.as_str()),
        ("2.0", "mine")
    );
    assert_eq!(w.deps, ["z"]);
    assert_eq!(w.build, crate::libs::BuildSystem::Make);
    assert_eq!(w.make.args, ["A=b"]);
    assert_eq!(w.exports.libs, ["w"]);
}

#[test]
fn emulate_is_project_wide_and_each_table_may_say_otherwise() {
    use crate::libs::recipe::Emulate;
    let files = [
        ("t/Makefile", "all:\n"),
        ("u/Makefile", "all:\n"),
        ("g/Makefile", "all:\n"),
    ];
    let (_d, result) = project(
        &files,
        "[project]\nemulate = false\n[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\n[vendor.u]\npath = \"u\"\nprograms = [\"u\"]\nemulate = \"auto\"\n[lib.g]\npath = \"g\"\nemulate = true\n",
    );
    let p = result.unwrap();
    let vendor = |name: &str| p.vendor.iter().find(|v| v.name == name).unwrap();
    assert_eq!(vendor("t").recipe.emulate, Emulate::Off);
    assert_eq!(vendor("u").recipe.emulate, Emulate::Auto);
    assert_eq!(p.libs[0].emulate, Emulate::On);
    // "auto" is the default and stays out of the cache key: a recipe from before the
    // setting keys the same.
    let (_d, result) = project(&files, "[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\n");
    let recipe = &result.unwrap().vendor[0].recipe;
    assert_eq!(recipe.emulate, Emulate::Auto);
    assert!(!serde_json::to_string(recipe).unwrap().contains("emulate"));
    assert!(
        serde_json::to_string(&vendor("t").recipe)
            .unwrap()
            .contains("\"emulate\":false")
    );
    let (_d, result) = project(
        &files,
        "[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\nemulate = \"yes\"\n",
    );
    let (line, column, message, _) = config_error(result);
    assert_eq!((line, column), (4, 11));
    assert!(message.contains("true, false or \"auto\""), "{message}");
}

#[test]
fn per_target_tables_add_to_the_common_settings_of_their_target_only() {
    let files = [("ossl/Makefile", "all:\n")];
    let toml = r#"[project]
targets = ["x86_64", "arm64", "armhf"]

[lib.ossl]
path = "ossl"
build = "make"
bootstrap = ["perl", "./Configure", "--prefix={prefix}"]
make = { args = ["V=1"] }
cflags = ["-DCOMMON"]
env = { A = "common", B = "common" }

[lib.ossl.target.x86_64]
bootstrap = ["linux-x86_64"]

[lib.ossl.target.aarch64]
bootstrap = ["linux-{target.linux-arch}"]
make = { args = ["ARCH={target.linux-arch}"] }
cflags = ["-DONLY_ARM64"]
env = { B = "arm64" }

[vendor.tool]
path = "ossl"
programs = ["tool"]
libs = ["ossl"]
target."linux/arm/v7" = { configure = { args = ["--with-ssl={prefix:ossl}"] }, ldflags = ["-Wl,-z,norelro"] }
"#;
    let (_d, result) = project(&files, toml);
    let p = result.unwrap();
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let lib = &p.libs[0];
    let arm64 = lib.for_target(Target::Aarch64);
    assert_eq!(
        arm64.bootstrap,
        [
            "perl",
            "./Configure",
            "--prefix={prefix}",
            "linux-{target.linux-arch}"
        ]
    );
    assert_eq!(arm64.make.args, ["V=1", "ARCH={target.linux-arch}"]);
    assert_eq!(arm64.cflags, ["-DCOMMON", "-DONLY_ARM64"]);
    assert_eq!(arm64.env.get("A").map(String::as_str), Some("common"));
    assert_eq!(arm64.env.get("B").map(String::as_str), Some("arm64"));
    assert!(arm64.target.is_empty());
    let x86 = lib.for_target(Target::X86_64);
    assert_eq!(
        x86.bootstrap.last().map(String::as_str),
        Some("linux-x86_64")
    );
    assert_eq!(x86.cflags, ["-DCOMMON"]);
    assert_eq!(x86.env.get("B").map(String::as_str), Some("common"));
    // A target without a table builds the common settings.
    assert_eq!(lib.for_target(Target::Armv7).bootstrap.len(), 3);
    let tool = p.vendor[0].recipe.for_target(Target::Armv7);
    assert_eq!(tool.configure.args, ["--with-ssl={prefix:ossl}"]);
    assert_eq!(tool.ldflags, ["-Wl,-z,norelro"]);
    assert!(
        p.vendor[0]
            .recipe
            .for_target(Target::X86_64)
            .ldflags
            .is_empty()
    );
}

#[test]
fn per_target_tables_are_checked_where_they_are_written() {
    let files = [("t/Makefile", "all:\n")];
    let head = "[project]\ntargets = [\"x86_64\", \"aarch64\"]\n[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\n";
    // An unknown target, with the list of targets.
    let (_d, result) = project(
        &files,
        &format!("{head}[vendor.t.target.sparc]\ncflags = []\n"),
    );
    let (line, column, message, help) = config_error(result);
    assert_eq!((line, column), (6, 18));
    assert!(message.contains("unknown target `sparc`"), "{message}");
    assert!(help.contains("x86_64, aarch64"), "{help}");
    // Two spellings of one target.
    let (_d, result) = project(
        &files,
        &format!(
            "{head}target.arm64 = {{ cflags = [\"-DA\"] }}\ntarget.aarch64 = {{ cflags = [\"-DB\"] }}\n"
        ),
    );
    let (line, _, message, help) = config_error(result);
    assert_eq!(line, 7);
    assert!(message.contains("two tables for aarch64"), "{message}");
    assert!(help.contains("line 6"), "{help}");
    // A key a target's table does not take, with a did-you-mean.
    let (_d, result) = project(
        &files,
        &format!("{head}[vendor.t.target.x86_64]\ncflag = []\n"),
    );
    let (line, _, message, help) = config_error(result);
    assert_eq!(line, 7);
    assert!(message.contains("unknown key `cflag`"), "{message}");
    assert!(help.contains("did you mean `cflags`?"), "{help}");
    // Only arguments differ per target.
    let (_d, result) = project(
        &files,
        &format!("{head}[vendor.t.target.x86_64]\nmake = {{ targets = [\"all\"] }}\n"),
    );
    let (_, _, message, _) = config_error(result);
    assert!(message.contains("unknown key `targets`"), "{message}");
    // A target's bootstrap is a whole command when there is no common one.
    let (_d, result) = project(
        &files,
        &format!("{head}[vendor.t.target.x86_64]\nbootstrap = [\"perl Configure\"]\n"),
    );
    let (line, column, message, _) = config_error(result);
    assert_eq!((line, column), (6, 18));
    assert!(
        message.contains("for x86_64 starts with `perl Configure`"),
        "{message}"
    );
    // A target the project does not build: a warning, with its position.
    let (_d, result) = project(
        &files,
        &format!("{head}[vendor.t.target.riscv64]\ncflags = []\n"),
    );
    let warnings = result.unwrap().warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("muslbuild.toml:6:18: [vendor.t] has settings for riscv64"));
}

#[test]
fn unknown_placeholders_are_errors_at_their_position() {
    let files = [("t/Makefile", "all:\n")];
    let head = "[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\nlibs = [\"readline\"]\n";
    let (_d, result) = project(
        &files,
        &format!(
            "{head}[vendor.t.target.armv7]\nconfigure = {{ args = [\"--host={{target.gnuu}}\"] }}\n"
        ),
    );
    let (line, column, message, help) = config_error(result);
    assert_eq!((line, column), (6, 31));
    assert!(
        message.contains("unknown placeholder `{target.gnuu}`"),
        "{message}"
    );
    assert!(help.contains("did you mean `{target.gnu}`?"), "{help}");
    // `{prefix:NAME}` names a library of the closure (ncurses comes with readline).
    let (_d, result) = project(
        &files,
        &format!("{head}cflags = [\"-I{{prefix:ncurses}}/include\", \"-I{{prefix:zlb}}\"]\n"),
    );
    let (line, _, message, help) = config_error(result);
    assert_eq!(line, 5);
    assert!(message.contains("`{prefix:zlb}` names `zlb`"), "{message}");
    assert!(help.contains("ncurses, readline"), "{help}");
    // Flags cannot name the variables they are part of.
    let (_d, result) = project(&files, &format!("{head}env = {{ X = \"{{cflags}}\" }}\n"));
    let (_, _, message, help) = config_error(result);
    assert!(
        message.contains("`{cflags}` cannot be used in flags"),
        "{message}"
    );
    assert!(help.contains("CFLAGS"), "{help}");
    // Shell and make variables are not placeholders.
    let (_d, result) = project(
        &files,
        &format!(
            "{head}make = {{ args = [\"INSTALL_TOP=$(DESTDIR){{prefix}}\", \"X=${{HOME}}\"] }}\n"
        ),
    );
    result.unwrap();
}

/// A vendored program may share its name with a built-in recipe (a project's own
/// bzip2) as long as the project does not link that library, directly or through
/// another recipe's dependencies; a project's own `[lib.NAME]` never shares it.
#[test]
fn a_vendored_project_may_take_a_built_in_recipes_name_it_does_not_link() {
    let files = [
        ("b/Makefile", "all:\n"),
        ("m.c", "int main(void){return 0;}\n"),
    ];
    let vendored = "[vendor.bzip2]\npath = \"b\"\nprograms = [\"bzip2\"]\n";
    let (_d, result) = project(&files, vendored);
    assert_eq!(result.unwrap().vendor[0].name, "bzip2");
    for (linking, name) in [
        ("[c.m]\nsources = [\"m.c\"]\nlibs = [\"bzip2\"]\n", "bzip2"),
        (
            "[c.m]\nsources = [\"m.c\"]\nlibs = [\"readline\"]\n",
            "ncurses",
        ),
    ] {
        let text = format!("[vendor.{name}]\npath = \"b\"\nprograms = [\"x\"]\n{linking}");
        let (_, _, message, help) = config_error(project(&files, &text).1);
        assert!(
            message.contains(&format!(
                "`{name}` is both a vendored project and the built-in library of that name"
            )),
            "{message}"
        );
        assert!(help.contains("another name"), "{help}");
    }
    let (_d, result) = project(
        &files,
        "[lib.t]\npath = \"b\"\n[vendor.t]\npath = \"b\"\nprograms = [\"x\"]\n",
    );
    let (_, _, message, _) = config_error(result);
    assert!(
        message.contains("is both a vendored project and a library"),
        "{message}"
    );
}
