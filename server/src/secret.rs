//! Secrets at rest: API keys and session ids are stored as SHA-256 digests, never as the
//! values a client presents, so a leaked database (or backup) grants nothing. Both secrets are
//! long random strings, so a fast unsalted hash is enough; a password hash would only slow
//! down every request.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The stored form of a secret: its SHA-256 digest in lowercase hex (64 characters).
pub fn digest(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in d {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether a stored digest is the digest of `secret`, compared in constant time so the time
/// taken says nothing about how much of it matched.
pub fn matches(stored: &str, secret: &str) -> bool {
    stored.as_bytes().ct_eq(digest(secret).as_bytes()).into()
}

/// A new random secret: 32 random bytes in hex.
pub fn random() -> String {
    let bytes: [u8; 32] = rand::random();
    let mut out = String::with_capacity(64);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_sha256_in_lowercase_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_digest_matches_its_secret_only() {
        let d = digest("demo-integration-key-change-me");
        assert!(matches(&d, "demo-integration-key-change-me"));
        assert!(!matches(&d, "demo-integration-key-change-mE"));
        assert!(!matches("", "x"));
    }

    #[test]
    fn random_secrets_differ() {
        assert_ne!(random(), random());
        assert_eq!(random().len(), 64);
    }
}
