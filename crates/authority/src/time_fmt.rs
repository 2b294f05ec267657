//! The two timestamp spellings Entra uses in error texts.

use time::OffsetDateTime;

fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2026-11-26T15:40:00.0000000Z`, as in AADSTS700024's "Current time: …".
pub fn iso(unix: i64) -> String {
    let t = at(unix);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.0000000Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `2026-11-26 15:40:00Z`, as in the `timestamp` member and the description's last line.
pub fn wire(unix: i64) -> String {
    let t = at(unix);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::iso(1_452_304_932), "2016-01-09T02:02:12.0000000Z");
        assert_eq!(super::wire(1_452_304_932), "2016-01-09 02:02:12Z");
    }
}
