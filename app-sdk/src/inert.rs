//! The type of a downloaded file's blob. A `blob:` URL has the app's origin, so a blob typed
//! `text/html`, `image/svg+xml` or any XML type would run the uploader's script as the app when
//! opened (link, iframe, new window). Only types a browser renders inertly keep their type;
//! everything else becomes `application/octet-stream`, which a browser only downloads.

const OCTET: &str = "application/octet-stream";

/// Raster images (no SVG: it is XML and runs script); text/plain, audio and video are below.
const INLINE: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
    "image/x-icon",
    "image/vnd.microsoft.icon",
];

/// Maps the type an uploader declared (stored by the server, echoed as `Content-Type`) to the
/// blob's type. Parameters are dropped; `text/plain` gets UTF-8 so no charset is sniffed.
/// PDF is not inline: it carries its own scripts and form actions, run by whatever viewer the
/// browser has, so whether it stays inert is the viewer's promise, not ours.
pub(crate) fn inert_type(mimetype: &str) -> String {
    let essence = mimetype
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "text/plain" {
        return "text/plain;charset=utf-8".into();
    }
    let media = match essence.split_once('/') {
        Some(("audio" | "video", sub)) => !sub.is_empty() && sub.bytes().all(token_byte),
        _ => false,
    };
    if media || INLINE.contains(&essence.as_str()) {
        essence
    } else {
        OCTET.into()
    }
}

/// A byte of an RFC 9110 token (letters already lowercased).
fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::inert_type;

    #[test]
    fn inert_types_stay_in_their_plain_form() {
        for (given, blob) in [
            ("image/png", "image/png"),
            ("IMAGE/JPEG", "image/jpeg"),
            (" image/gif ", "image/gif"),
            ("image/webp; q=1", "image/webp"),
            ("image/avif", "image/avif"),
            ("image/x-icon", "image/x-icon"),
            ("text/plain", "text/plain;charset=utf-8"),
            ("text/plain; charset=utf-7", "text/plain;charset=utf-8"),
            ("Text/Plain;charset=iso-8859-1", "text/plain;charset=utf-8"),
            ("audio/mpeg", "audio/mpeg"),
            ("video/MP4; codecs=\"avc1\"", "video/mp4"),
            ("audio/x-wav", "audio/x-wav"),
        ] {
            assert_eq!(inert_type(given), blob, "{given:?}");
        }
    }

    #[test]
    fn active_unknown_and_malformed_types_are_downloads() {
        for given in [
            "text/html",
            "TEXT/HTML",
            " text/html ",
            "text/html;x=image/png",
            "text/html, image/png",
            "image/svg+xml",
            "IMAGE/SVG+XML",
            "application/xhtml+xml",
            "text/xml",
            "application/xml",
            "text/javascript",
            "application/pdf",
            "multipart/x-mixed-replace",
            "text/plainx",
            "text/plain/x",
            "image/png/../html",
            "image/pngx",
            "audio/",
            "video/ mp4",
            "video/mp4 html",
            "video/<svg>",
            "audio/mp3,text/html",
            "/",
            "",
            ";image/png",
            "application/octet-stream",
            "image\0/png",
        ] {
            assert_eq!(inert_type(given), "application/octet-stream", "{given:?}");
        }
    }
}
