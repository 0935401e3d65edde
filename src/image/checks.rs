//! Checks of single `[image]` values shared by the spec check (before anything is built)
//! and the image maker (from flags): one place, so both say the same thing.

use crate::error::{Error, Result};

/// `8080` -> `8080/tcp`; the protocol part is checked, as Docker does.
pub(crate) fn normalize_port(port: &str) -> Result<String> {
    let (number, proto) = port.split_once('/').unwrap_or((port, "tcp"));
    let proto = proto.to_ascii_lowercase();
    match (number.parse::<u16>(), proto.as_str()) {
        (Ok(n), "tcp" | "udp" | "sctp") if n > 0 => Ok(format!("{n}/{proto}")),
        _ => Err(Error::usage(
            format!("`{port}` is not a port"),
            "a port is 8080, 8080/tcp, 53/udp or 9000/sctp (--port, or `ports` in [image])",
        )),
    }
}

/// `NAME=/PATH` -> (NAME, /PATH); `NAME` -> (NAME, BIN_DIR/NAME).
pub(crate) fn artifact_path(item: &str, bin_dir: &str) -> (String, String) {
    match item.split_once('=') {
        Some((name, path)) => (name.to_string(), path.to_string()),
        None => (
            item.to_string(),
            format!("{}/{item}", bin_dir.trim_end_matches('/')),
        ),
    }
}

pub(crate) fn check_env(env: &str) -> Result<()> {
    if env.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
        return Err(Error::usage(
            format!("environment entry `{env}` is not KEY=VALUE"),
            "write KEY=VALUE (--env, or `env` in [image])",
        ));
    }
    Ok(())
}

pub(crate) fn check_workdir(dir: &str) -> Result<()> {
    if !dir.starts_with('/') {
        return Err(Error::usage(
            format!("working directory `{dir}` is not absolute"),
            "write an absolute path such as /data (--workdir, or `workdir` in [image])",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_normalized() {
        assert_eq!(normalize_port("8080").unwrap(), "8080/tcp");
        assert_eq!(normalize_port("53/UDP").unwrap(), "53/udp");
        for bad in ["0", "70000", "http", "80/icmp"] {
            assert!(normalize_port(bad).is_err(), "{bad}");
        }
    }
}
