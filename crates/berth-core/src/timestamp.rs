//! Points in time as milliseconds since the Unix epoch: the Monaca API speaks them as numbers, the
//! Oracle API as ISO-8601 strings, and both stores can order and compare a plain integer.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Self(millis)
    }

    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 / ISO-8601 date-time (`2019-05-01T09:00:00Z`, `2019-05-01T09:00:00.123+02:00`).
    pub fn parse_iso(text: &str) -> Option<Self> {
        let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        Some(Self((parsed.unix_timestamp_nanos() / 1_000_000) as i64))
    }

    /// Oracle's W3C form with milliseconds: `2015-05-05T12:09:33.281Z`.
    pub fn to_iso(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(dt) => format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                dt.year(),
                u8::from(dt.month()),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second(),
                dt.millisecond()
            ),
            Err(_) => String::from("1970-01-01T00:00:00.000Z"),
        }
    }

    pub fn minus_millis(self, millis: i64) -> Self {
        Self(self.0.saturating_sub(millis))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trip_keeps_milliseconds() {
        let t = Timestamp::parse_iso("2015-05-05T12:09:33.281Z").expect("valid");
        assert_eq!(t.as_millis(), 1_430_827_773_281);
        assert_eq!(t.to_iso(), "2015-05-05T12:09:33.281Z");
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let t = Timestamp::parse_iso("2015-05-05T14:09:33+02:00").expect("valid");
        assert_eq!(t.to_iso(), "2015-05-05T12:09:33.000Z");
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(Timestamp::parse_iso("yesterday").is_none());
    }
}
