//! JSON text, numbers and UUIDs written (and UUIDs read) without `core::fmt`, for the host
//! bridge's JS package.
//!
//! Policy: the package is held to 40 KB gzip (`cargo xtask test`). `format!` of a float brings
//! float formatting (~20 KB of code and tables), `str::parse::<f64>` its tables, and any `{:?}`
//! or panicking slice the Debug machinery with Unicode tables. What the bridge writes is plain
//! enough to write by hand; the primitives are here, the message shapes in `wire.rs`, and the
//! one length the bridge reads (`resize::px`) next to its use.

use appframe_protocol::ItemId;
use uuid::Uuid;

/// A UUID in any form the `uuid` crate reads (hyphenated, simple, braced, `urn:uuid:`; hex digits
/// of either case), read here because that crate's error reporting slices the input, and a
/// slice that may panic brings Debug formatting and its Unicode tables into the package.
pub(crate) fn parse_uuid(s: &str) -> Option<Uuid> {
    const HYPHENS: [usize; 4] = [8, 13, 18, 23];
    let hyphenated = |h: &str| {
        let b = h.as_bytes();
        (b.len() == 36 && HYPHENS.iter().all(|&i| b[i] == b'-')).then(|| {
            b.iter()
                .enumerate()
                .filter(|(i, _)| !HYPHENS.contains(i))
                .map(|(_, c)| *c)
                .collect::<Vec<u8>>()
        })
    };
    let hex = match s.len() {
        32 => Some(s.as_bytes().to_vec()),
        36 => hyphenated(s),
        38 => s
            .strip_prefix('{')
            .and_then(|r| r.strip_suffix('}'))
            .and_then(hyphenated),
        45 => s.strip_prefix("urn:uuid:").and_then(hyphenated),
        _ => None,
    }?;
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut bytes = [0u8; 16];
    for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(Uuid::from_bytes(bytes))
}

/// A float as text: the browser's shortest round-trip form (`Number#toString`), so the package
/// carries no float formatting of its own. In JSON it may differ from serde_json's in notation
/// only (`1e+21` for `1e21`), never in value.
#[cfg(target_arch = "wasm32")]
pub(crate) fn number(f: f64) -> String {
    js_sys::Number::from(f)
        .to_string_with_radix(10)
        .map_or_else(|_| "null".to_owned(), String::from)
}

/// Natively (unit tests) serde_json's form, `f64`'s `Display` for what JSON cannot hold.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn number(f: f64) -> String {
    serde_json::Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_string())
}

/// An unsigned integer as text, without `core::fmt`.
pub(crate) fn uint(u: u64) -> String {
    let mut w = String::new();
    push_uint(&mut w, u);
    w
}

pub(crate) fn push_uint(w: &mut String, mut u: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    for d in &digits[at..] {
        w.push(char::from(*d));
    }
}

pub(crate) fn push_id(w: &mut String, id: &ItemId) {
    push_uuid(w, id.as_uuid().as_bytes());
}

/// Lower-case hyphenated text of a UUID (what its `Display` writes) without `core::fmt`.
pub(crate) fn push_uuid(w: &mut String, bytes: &[u8; 16]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            w.push('-');
        }
        w.push(char::from(HEX[usize::from(b >> 4)]));
        w.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

/// A JSON string literal, escaped as serde_json escapes (quote, backslash, control characters;
/// everything else as is).
pub(crate) fn push_str(w: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    w.push('"');
    for c in s.chars() {
        match c {
            '"' => w.push_str("\\\""),
            '\\' => w.push_str("\\\\"),
            '\n' => w.push_str("\\n"),
            '\r' => w.push_str("\\r"),
            '\t' => w.push_str("\\t"),
            '\u{8}' => w.push_str("\\b"),
            '\u{c}' => w.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let b = u32::from(c) as usize;
                w.push_str("\\u00");
                w.push(char::from(HEX[b >> 4]));
                w.push(char::from(HEX[b & 0xf]));
            }
            c => w.push(c),
        }
    }
    w.push('"');
}

/// `"text"` with JSON escapes, for log reasons.
pub(crate) fn quoted(s: &str) -> String {
    let mut w = String::new();
    push_str(&mut w, s);
    w
}

/// Joins string pieces (instead of `format!`, whose machinery the package does not need).
pub(crate) fn concat(parts: &[&str]) -> String {
    parts.concat()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_integers_are_written_in_full() {
        for u in [0, 7, 10, u64::MAX] {
            assert_eq!(uint(u), u.to_string());
        }
    }

    #[test]
    fn uuids_and_type_strings_are_read_as_the_protocol_reads_them() {
        let forms = [
            "860336f0-9317-4193-91ad-5d58f6a975d8",
            "860336F0-9317-4193-91AD-5D58F6A975D8",
            "860336f0931741939 1ad5d58f6a975d8",
            "860336f09317419391ad5d58f6a975d8",
            "{860336f0-9317-4193-91ad-5d58f6a975d8}",
            "{860336f09317419391ad5d58f6a975d8}",
            "urn:uuid:860336f0-9317-4193-91ad-5d58f6a975d8",
            "urn:uuid:860336f09317419391ad5d58f6a975d8",
            "860336f0-9317-4193-91ad-5d58f6a975d",
            "860336f0-9317-4193-91ad-5d58f6a975d8x",
            "860336f0_9317-4193-91ad-5d58f6a975d8",
            "g60336f0-9317-4193-91ad-5d58f6a975d8",
            "860336f0-9317-4193-91ad-5d58f6a975é",
            "",
            "{}",
        ];
        for form in forms {
            assert_eq!(parse_uuid(form), Uuid::parse_str(form).ok(), "{form:?}");
        }
    }
}
