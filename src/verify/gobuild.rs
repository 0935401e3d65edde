//! The build info Go writes into every binary it links (what `go version -m` prints),
//! read in process from the `.go.buildinfo` section: no `go` is run. Its modules go into
//! the SBOM (a warm build's costs no process); its `build` settings (`GOARCH=arm`,
//! `GOARM=7`) are what `verify` holds against a target's baseline, since Go's own linker
//! writes no ARM attributes or ABI flags that would say it.

use object::{Object, ObjectSection};

/// A module as the build info names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GoModule {
    pub(crate) path: String,
    pub(crate) version: String,
    /// The `go.sum` hash (`h1:…`), when Go recorded one.
    pub(crate) sum: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GoBuildInfo {
    /// `go1.27.3`.
    pub(crate) go_version: String,
    pub(crate) main: Option<GoModule>,
    pub(crate) deps: Vec<GoModule>,
    /// The `build` lines that set a value: `-trimpath=true`, `GOARCH=arm`, `GOARM=7`…
    pub(crate) settings: Vec<(String, String)>,
}

/// The value of `key` among `build` settings.
pub(crate) fn setting<'a>(settings: &'a [(String, String)], key: &str) -> Option<&'a str> {
    settings
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Go wraps the module text in 16 bytes on each side.
const SENTINEL: usize = 16;

/// The build info of a Go executable, or `None` when `elf` has none (not Go, or a Go
/// older than 1.18, whose build info is behind pointers).
pub(crate) fn read(elf: &[u8]) -> Option<GoBuildInfo> {
    let file = object::File::parse(elf).ok()?;
    let section = file.section_by_name(".go.buildinfo")?;
    parse(section.data().ok()?)
}

/// The build info in the bytes of a `.go.buildinfo` section.
pub(crate) fn parse(data: &[u8]) -> Option<GoBuildInfo> {
    if !data.starts_with(MAGIC) || data.len() < 32 {
        return None;
    }
    const INLINE_STRINGS: u8 = 0x2;
    if data[15] & INLINE_STRINGS == 0 {
        return None;
    }
    let mut rest = &data[32..];
    let version = string(&mut rest)?;
    let modinfo = string(&mut rest)?;
    let modinfo = if modinfo.len() >= 2 * SENTINEL {
        &modinfo[SENTINEL..modinfo.len() - SENTINEL]
    } else {
        modinfo
    };
    let mut info = GoBuildInfo {
        go_version: String::from_utf8_lossy(version).into_owned(),
        ..GoBuildInfo::default()
    };
    for line in String::from_utf8_lossy(modinfo).lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let module = || GoModule {
            path: fields.get(1).unwrap_or(&"").to_string(),
            version: fields.get(2).unwrap_or(&"").to_string(),
            sum: fields.get(3).map(|s| s.to_string()),
        };
        match fields[0] {
            "mod" => info.main = Some(module()),
            "dep" => info.deps.push(module()),
            // A `replace`: the module actually built, in place of the one before it.
            "=>" => {
                if let Some(last) = info.deps.last_mut() {
                    *last = module();
                }
            }
            "build" => {
                if let Some((key, value)) = fields.get(1).and_then(|f| f.split_once('=')) {
                    info.settings.push((key.to_string(), value.to_string()));
                }
            }
            _ => {}
        }
    }
    Some(info)
}

/// One varint-length-prefixed string, advancing `rest`.
fn string<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (mut len, mut shift, mut used) = (0usize, 0u32, 0usize);
    for &byte in rest.iter() {
        used += 1;
        len |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let text = rest.get(used..used.checked_add(len)?)?;
    *rest = &rest[used + len..];
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(version: &str, modinfo: &str) -> Vec<u8> {
        let mut data = MAGIC.to_vec();
        data.extend([8, 0x2]);
        data.resize(32, 0);
        let wrapped = format!("{}{modinfo}{}", "s".repeat(16), "e".repeat(16));
        for text in [version, &wrapped] {
            let mut len = text.len();
            while len >= 0x80 {
                data.push((len as u8) | 0x80);
                len >>= 7;
            }
            data.push(len as u8);
            data.extend(text.as_bytes());
        }
        data
    }

    #[test]
    fn modules_and_replacements_are_read() {
        let data = section(
            "go1.27.3",
            "path\texample.com/x\nmod\texample.com/x\t(devel)\t\ndep\ta.org/b\tv1.0.0\th1:abc=\n=>\t./b\t(devel)\t\ndep\tc.org/d\tv0.2.0\th1:def=\nbuild\t-trimpath=true\nbuild\tGOARCH=arm\nbuild\tGOARM=6,softfloat\n",
        );
        let info = parse(&data).unwrap();
        assert_eq!(info.go_version, "go1.27.3");
        assert_eq!(info.main.as_ref().unwrap().path, "example.com/x");
        assert_eq!(info.deps.len(), 2);
        assert_eq!(info.deps[0].path, "./b");
        assert_eq!(info.deps[1].sum.as_deref(), Some("h1:def="));
        assert_eq!(setting(&info.settings, "GOARM"), Some("6,softfloat"));
        assert_eq!(setting(&info.settings, "-trimpath"), Some("true"));
        assert_eq!(setting(&info.settings, "GOAMD64"), None);
        assert!(parse(b"not build info").is_none());
    }
}
