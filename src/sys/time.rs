//! Dates from Unix seconds, without a date crate: only UTC, only what muslbuild prints.

/// Year, month, day, hour, minute, second of `secs` after the epoch, in UTC.
fn utc(secs: u64) -> (i64, u64, u64, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil: exact for every date anyone sets a clock or
    // SOURCE_DATE_EPOCH to.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u64;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem / 60 % 60, rem % 60)
}

/// `1970-01-01T00:00:00Z` for 0 (an OCI config's `created`).
pub(crate) fn rfc3339(secs: u64) -> String {
    let (y, m, d, hh, mm, ss) = utc(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// `2026-11-27 21:04 UTC`: when something was installed, as people read it.
pub(crate) fn utc_minutes(secs: u64) -> String {
    let (y, m, d, hh, mm, _) = utc(secs);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc_minutes(1_700_000_000), "2023-11-14 22:13 UTC");
    }
}
