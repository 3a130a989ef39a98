//! Timestamps: emitted as RFC 3339, parsed leniently (Graasp passes Postgres strings through,
//! e.g. `2025-04-17 11:07:30.123+00`).

use serde::{Deserialize, Deserializer, Serializer};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// Formats as RFC 3339 (`2025-04-17T11:07:30.123Z`).
pub fn format(t: &OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// Parses RFC 3339 or the Postgres text forms (`YYYY-MM-DD HH:MM:SS[.f]+HH[:MM]`).
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    // Normalise the Postgres form: space separator, `+00` offsets without minutes.
    let mut norm = s.trim().replacen(' ', "T", 1);
    let tail_start = norm.rfind(['+', '-']).filter(|&i| i > 10)?;
    let tail = &norm[tail_start..];
    // An offset is ASCII; the byte arithmetic below would split a multi-byte character.
    if !tail.is_ascii() {
        return None;
    }
    if tail.len() == 3 {
        norm.push_str(":00");
    } else if tail.len() == 5 && !tail.contains(':') {
        norm.insert(tail_start + 3, ':');
    }
    OffsetDateTime::parse(&norm, &Rfc3339).ok()
}

/// serde `with` module for `OffsetDateTime` fields.
pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(t))
}

/// serde `with` module for `OffsetDateTime` fields.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    let s = String::deserialize(d)?;
    parse(&s).ok_or_else(|| serde::de::Error::custom(format!("bad timestamp {s:?}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn postgres_and_rfc3339_forms_parse_to_the_same_instant() {
        let a = parse("2025-04-17 11:07:30.123+00").unwrap();
        let b = parse("2025-04-17T11:07:30.123+00:00").unwrap();
        let c = parse("2025-04-17T11:07:30.123Z").unwrap();
        let d = parse("2025-04-17 13:07:30.123+0200").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(c, d);
        assert_eq!(format(&a), "2025-04-17T11:07:30.123Z");
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(parse("yesterday").is_none());
        assert!(parse("").is_none());
    }

    /// Found by `fuzz_body_timestamps`: a multi-byte character in a Postgres-style offset made
    /// the normalisation insert a `:` inside it, which panicked.
    #[test]
    fn a_multi_byte_character_in_the_offset_is_refused_not_a_panic() {
        assert_eq!(parse("6917-08-05 07:28:28.005-\u{2028}0"), None);
        assert_eq!(parse("2025-04-17 11:07:30+0\u{e9}1"), None);
        assert_eq!(parse("2025-04-17 11:07:30+\u{1f600}"), None);
    }
}
