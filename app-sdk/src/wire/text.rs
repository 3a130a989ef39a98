//! The scalar texts inside the wire shapes: decimal integers, UUIDs, RFC 3339 timestamps and
//! JSON numbers, written and read without `core::fmt`, the `uuid` parser or `time`'s
//! formatting (see the size policy in [`crate::wire`]); the tests check each against the code
//! it replaces.

use serde_json::{Number, Value};
use time::OffsetDateTime;
use uuid::Uuid;

/// The texts one after the other, as `[a, b].concat()` writes them. One loop of `push_str`
/// instead of `Concat`'s generic join (its checked length sum and copy loop are a function of
/// their own in the wasm).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// An integer in decimal (without core::fmt's integer printing).
pub(crate) fn int_text(n: i64) -> String {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(21 - i);
    if n < 0 {
        out.push('-');
    }
    out.extend(buf[i..].iter().map(|&c| char::from(c)));
    out
}

// ---- UUIDs ----

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The hyphenated lower-case form (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).
pub(crate) fn format_uuid(u: Uuid) -> String {
    // Byte by byte rather than through `as_u128`: the 128-bit shifts and byte swap cost wasm.
    let mut out = String::with_capacity(36);
    for (i, &b) in u.as_bytes().iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// Parses the hyphenated form (any case) or 32 bare hex digits, as the server writes and
/// accepts ids; `None` for anything else.
pub(crate) fn parse_uuid(s: &str) -> Option<Uuid> {
    let b = s.as_bytes();
    let hyphenated = b.len() == 36;
    if !hyphenated && b.len() != 32 {
        return None;
    }
    // Nibbles into a byte array rather than a `u128`: 128-bit arithmetic costs wasm size.
    let mut bytes = [0u8; 16];
    let mut nibble = 0;
    for (i, &c) in b.iter().enumerate() {
        if hyphenated && matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let d = char::from(c).to_digit(16)? as u8;
        let byte = bytes.get_mut(nibble / 2)?;
        *byte = (*byte << 4) | d;
        nibble += 1;
    }
    Some(Uuid::from_bytes(bytes))
}

// ---- timestamps ----

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// A run of ASCII digits as a number.
fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0i64, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

/// The date and time fields of `YYYY-MM-DD?hh:mm:ss` (`?` is `T`, `t` or a space).
const SHAPE: &[u8; 19] = b"0000-00-00T00:00:00";

/// Parses RFC 3339 (`2025-04-17T11:07:30.123Z`, `+02:00` offsets) and the Postgres text forms
/// Graasp passes through (`2025-04-17 11:07:30.123+00`, `+0200`), as
/// `appframe_protocol::timestamp::parse` does; the result is in UTC (the same instant).
/// Only ASCII spaces around the text are ignored (the protocol's `trim` also drops Unicode
/// ones, which no server sends; their table would cost every app about 0.3 KB gzip).
///
/// One pass over the fixed-width head against [`SHAPE`] rather than a slice per field: every
/// slice brought its own bounds checks and panic paths into the wasm.
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let (head, rest) = s.trim_ascii().as_bytes().split_at_checked(SHAPE.len())?;
    // Year, month, day, hour, minute, second.
    let mut f = [0i64; 6];
    let mut k = 0;
    for (i, &c) in head.iter().enumerate() {
        match SHAPE.get(i) {
            Some(b'0') => {
                let d = c.wrapping_sub(b'0');
                if d > 9 {
                    return None;
                }
                let n = f.get_mut(k)?;
                *n = *n * 10 + i64::from(d);
            }
            Some(b'T') if matches!(c, b'T' | b't' | b' ') => k += 1,
            Some(&sep) if sep == c && sep != b'T' => k += 1,
            _ => return None,
        }
    }
    let [y, mo, d, h, mi, sec] = f;
    let max_day = match mo {
        2 => 28 + i64::from(is_leap(y)),
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if d < 1 || d > max_day || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut rest = rest;
    let mut nanos = 0u32;
    if let [b'.', frac @ ..] = rest {
        // Nanosecond precision; further digits are dropped, as `time` does.
        let mut scale = 100_000_000;
        rest = frac;
        while let [c @ b'0'..=b'9', tail @ ..] = rest {
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
            rest = tail;
        }
        if rest.len() == frac.len() {
            return None;
        }
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (oh, om) = match tail {
                [a, b] => ([*a, *b], *b"00"),
                [a, b, b':', c, d] | [a, b, c, d] => ([*a, *b], [*c, *d]),
                _ => return None,
            };
            let (oh, om) = (digits(&oh)?, digits(&om)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = oh * 3600 + om * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let unix = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset;
    time_of(unix, nanos)
}

/// The UTC time `secs` seconds and `nanos` nanoseconds after the Unix epoch (`None` out of
/// `time`'s range). Not `from_unix_timestamp_nanos`: its i128 division links a 128-bit
/// division routine into the wasm.
pub(crate) fn time_of(secs: i64, nanos: u32) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .replace_nanosecond(nanos)
        .ok()
}

fn push_2(out: &mut String, n: i64) {
    out.push(char::from(b'0' + (n / 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// RFC 3339 in UTC with the shortest exact fraction (`2025-04-17T11:07:30.123Z`), the text
/// `appframe_protocol::timestamp::format` writes for a UTC time. Years outside 0–9999 are not
/// representable in RFC 3339 and are clamped to them.
pub(crate) fn format_time(t: &OffsetDateTime) -> String {
    let secs = t.unix_timestamp();
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let tod = secs.rem_euclid(86_400);
    let y = y.clamp(0, 9999);
    let mut out = String::with_capacity(30);
    push_2(&mut out, y / 100);
    push_2(&mut out, y % 100);
    out.push('-');
    push_2(&mut out, m);
    out.push('-');
    push_2(&mut out, d);
    out.push('T');
    push_2(&mut out, tod / 3600);
    out.push(':');
    push_2(&mut out, tod / 60 % 60);
    out.push(':');
    push_2(&mut out, tod % 60);
    let mut nanos = t.nanosecond();
    if nanos > 0 {
        out.push('.');
        // Digit by digit from the tenths until nothing is left: the shortest exact fraction.
        let mut scale = 100_000_000;
        while nanos > 0 && scale > 0 {
            out.push(char::from(b'0' + (nanos / scale) as u8));
            nanos %= scale;
            scale /= 10;
        }
    }
    out.push('Z');
    out
}

/// A JSON number from a whole or fractional value (`None` for NaN and infinities).
pub(crate) fn number(n: f64) -> Option<Value> {
    // Whole numbers within 2^53 are integers, as serde_json reads `1` (JSON.parse cannot tell).
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() <= EXACT {
        return Some(if n < 0.0 {
            Value::Number(Number::from(n as i64))
        } else {
            Value::Number(Number::from(n as u64))
        });
    }
    Number::from_f64(n).map(Value::Number)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::timestamp;

    #[test]
    fn uuids_round_trip_and_match_the_uuid_crate() {
        for s in [
            "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "1B4E28BA-2FA1-41D2-883F-0016D3CCA427",
            "1b4e28ba2fa141d2883f0016d3cca427",
        ] {
            let u = parse_uuid(s).unwrap();
            assert_eq!(u, Uuid::parse_str(s).unwrap());
            assert_eq!(format_uuid(u), u.hyphenated().to_string());
        }
        for s in [
            "",
            "1b4e28ba-2fa1-41d2-883f-0016d3cca42",
            "1b4e28ba_2fa1-41d2-883f-0016d3cca427",
            "1b4e28ba-2fa1-41d2-883f-0016d3cca42g",
            "+b4e28ba-2fa1-41d2-883f-0016d3cca427",
        ] {
            assert_eq!(parse_uuid(s), None, "{s}");
        }
    }

    #[test]
    fn timestamps_parse_and_print_as_the_protocol_does() {
        for s in [
            "2025-04-17 11:07:30.123+00",
            "2025-04-17T11:07:30.123+00:00",
            "2025-04-17T11:07:30.123Z",
            "2025-04-17 13:07:30.123+0200",
            "2025-04-17T06:07:30.000123456-05:00",
            "2024-02-29T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999999Z",
            "2000-03-01T00:00:00.1Z",
            "2030-12-31T12:00:00.120Z",
            "2025-04-17t11:07:30.1234567891Z",
            "2000-02-29T00:00:00.5-23:59",
        ] {
            let ours = parse_time(s).unwrap();
            let theirs = timestamp::parse(s).unwrap();
            assert_eq!(ours, theirs, "{s}");
            assert_eq!(
                format_time(&ours),
                timestamp::format(&theirs.to_offset(time::UtcOffset::UTC)),
                "{s}"
            );
        }
        for s in [
            "",
            "yesterday",
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-04-17T24:00:00Z",
            "2025-04-17T11:07:30",
            "2025-04-17T11:07:30.Z",
            "2025-04-17T11:07:30+1",
            "2025-04-31T00:00:00Z",
            "2025-00-10T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "20x5-04-17T11:07:30Z",
            "2025-04-17T11:07:30+",
            "2025-04-17T11:07:3Z",
        ] {
            assert_eq!(parse_time(s), None, "{s}");
            assert_eq!(timestamp::parse(s), None, "{s}");
        }
        // Stricter than `time`, which takes any separator character.
        assert_eq!(parse_time("2025-04-17X11:07:30Z"), None);
    }

    #[test]
    fn integers_print_as_display_does() {
        for n in [0, 7, -7, 316, i64::from(u32::MAX), i64::MIN, i64::MAX] {
            assert_eq!(int_text(n), n.to_string());
        }
    }

    #[test]
    fn whole_numbers_become_integers() {
        assert_eq!(number(3.0), Some(Value::from(3u64)));
        assert_eq!(number(-3.0), Some(Value::from(-3i64)));
        assert_eq!(number(2.5), Some(Value::from(2.5)));
        assert_eq!(number(f64::NAN), None);
    }
}
