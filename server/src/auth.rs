//! Who is calling: app tokens (HS256 JWT, Bearer only), host sessions (HttpOnly cookie) and
//! integration API keys.

use crate::{
    AppState,
    config::Scope,
    error::{Error, Result},
    extract::Bearer,
    store::{Account, now},
};
use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{HeaderMap, Method, header, request::Parts},
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex, PoisonError},
};
use time::OffsetDateTime;
use uuid::Uuid;

pub use crate::config::{SECURE_SESSION_COOKIE, SESSION_COOKIE, session_cookie_name};
/// Lifetime of a host session.
pub const SESSION_TTL: time::Duration = time::Duration::days(7);
/// Audience of signed file URLs, so a file token is never accepted as an app token.
const FILE_AUDIENCE: &str = "appframe-file";

/// The `sub` object of an app token (Graasp's layout: `sub` is an object, not a string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenSubject {
    /// The account; absent for an anonymous viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
    /// The item the token is bound to.
    pub item_id: Uuid,
    /// The app key.
    pub key: Uuid,
    /// The app origin.
    pub origin: String,
}

/// App token claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppClaims {
    /// Subject.
    pub sub: TokenSubject,
    /// The handle of the host session the token was minted from (a random value of its own,
    /// not the session id nor its stored digest: the app can read its token). The token is
    /// revoked when that session ends. Absent on tokens of the integration API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Issued at (seconds).
    pub iat: u64,
    /// Expiry (seconds).
    pub exp: u64,
}

/// Claims of a signed, expiring file URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileClaims {
    /// Always [`FILE_AUDIENCE`].
    pub aud: String,
    /// The app-data or app-setting row the file belongs to.
    pub row: Uuid,
    /// Expiry (seconds).
    pub exp: u64,
}

/// Most verified tokens remembered; past this the map starts over (an entry costs one
/// signature check to rebuild, so a crude bound is enough).
const MAX_VERIFIED_TOKENS: usize = 4096;

/// Signing keys and token lifetime.
#[derive(Clone)]
pub struct Jwt {
    enc: EncodingKey,
    dec: DecodingKey,
    ttl_secs: u64,
    /// Tokens whose signature was verified, by their exact text. An app sends the same token
    /// with every request until it expires, and the HMAC check and claim parsing cost more
    /// than the rest of a cached list request. Only verified tokens enter (the text includes
    /// its signature, so it always stands for the same claims), and the expiry is checked
    /// again at every use.
    verified: Arc<Mutex<HashMap<Box<str>, AppClaims>>>,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

fn unix_now() -> u64 {
    u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

impl Jwt {
    /// Keys from a secret.
    pub fn new(secret: &[u8], ttl_secs: u64) -> Self {
        Jwt {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
            ttl_secs,
            verified: Arc::default(),
        }
    }

    /// Token lifetime in seconds.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// Signs an app token for a subject, valid for the configured lifetime, bound to the host
    /// session of handle `sid` when there is one.
    pub fn sign(&self, sub: TokenSubject, sid: Option<&str>) -> Result<String> {
        self.sign_with_ttl(sub, sid.map(str::to_owned), self.ttl_secs)
    }

    /// Signs an app token with an explicit lifetime (tests use 0 to get an expired token).
    pub fn sign_with_ttl(
        &self,
        sub: TokenSubject,
        sid: Option<String>,
        ttl_secs: u64,
    ) -> Result<String> {
        let iat = unix_now();
        let claims = AppClaims {
            sub,
            sid,
            iat,
            exp: iat + ttl_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
            .map_err(|e| Error::Internal(format!("cannot sign token: {e}")))
    }

    /// Verifies signature, algorithm and expiry (no leeway: the lifetime is short on purpose).
    ///
    /// jsonwebtoken's `decode` insists that `sub` is a string, but Graasp's `sub` is an object,
    /// so the signature is checked with its `crypto::verify` and the claims parsed here.
    pub fn verify(&self, token: &str) -> Result<AppClaims> {
        let bad = |m: &str| Error::InvalidToken(m.to_owned());
        let header = jsonwebtoken::decode_header(token).map_err(|e| bad(&e.to_string()))?;
        if header.alg != Algorithm::HS256 {
            return Err(bad("unexpected signing algorithm"));
        }
        let (message, signature) = token
            .rsplit_once('.')
            .ok_or_else(|| bad("malformed token"))?;
        let valid = jsonwebtoken::crypto::verify(
            signature,
            message.as_bytes(),
            &self.dec,
            Algorithm::HS256,
        )
        .map_err(|e| bad(&e.to_string()))?;
        if !valid {
            return Err(bad("invalid signature"));
        }
        let payload = message
            .split_once('.')
            .map(|(_, p)| p)
            .ok_or_else(|| bad("malformed token"))?;
        use base64::Engine;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| bad("malformed payload"))?;
        let claims: AppClaims =
            serde_json::from_slice(&json).map_err(|e| bad(&format!("bad claims: {e}")))?;
        if claims.exp <= unix_now() {
            return Err(bad("the token has expired"));
        }
        Ok(claims)
    }

    /// [`Jwt::verify`] through the cache of verified tokens: a token seen before is checked
    /// for expiry only.
    pub fn verify_cached(&self, token: &str) -> Result<AppClaims> {
        let hit = self
            .verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned();
        if let Some(claims) = hit {
            if claims.exp <= unix_now() {
                self.verified
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(token);
                return Err(Error::InvalidToken("the token has expired".into()));
            }
            return Ok(claims);
        }
        let claims = self.verify(token)?;
        let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if verified.len() >= MAX_VERIFIED_TOKENS {
            verified.clear();
        }
        verified.insert(token.into(), claims.clone());
        Ok(claims)
    }

    /// Signs a file URL token valid for the token lifetime.
    pub fn sign_file(&self, row: Uuid) -> Result<String> {
        let claims = FileClaims {
            aud: FILE_AUDIENCE.into(),
            row,
            exp: unix_now() + self.ttl_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
            .map_err(|e| Error::Internal(format!("cannot sign file url: {e}")))
    }

    /// Verifies a file URL token.
    pub fn verify_file(&self, token: &str) -> Result<FileClaims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.set_audience(&[FILE_AUDIENCE]);
        jsonwebtoken::decode::<FileClaims>(token, &self.dec, &v)
            .map(|d| d.claims)
            .map_err(|_| Error::NotFound("this file link is invalid or has expired".into()))
    }
}

/// The token secret: from config/env, else read from `data_dir/jwt-secret`, else generated
/// once (32 random bytes, hex) and written there with owner-only permissions.
pub fn load_or_create_secret(configured: Option<&str>, data_dir: &Path) -> Result<String> {
    if let Some(s) = configured {
        return Ok(s.to_owned());
    }
    let file = data_dir.join("jwt-secret");
    match std::fs::read_to_string(&file) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().to_owned()),
        Ok(_) => {
            return Err(Error::Internal(format!(
                "{} is shorter than 32 characters",
                file.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    match opts.open(&file) {
        Ok(mut f) => {
            f.write_all(secret.as_bytes())?;
            f.sync_all()?;
            Ok(secret)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&file)?.trim().to_owned())
        }
        Err(e) => Err(e.into()),
    }
}

/// A random session id (32 bytes, hex).
pub fn new_session_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Set-Cookie` value for a session (`__Host-` and Secure when the public URL is https).
pub fn session_cookie(id: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

/// A cookie value from the `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Creates a session for an account; returns `(id, expires_at)`.
pub async fn create_session(state: &AppState, account: Uuid) -> Result<(String, OffsetDateTime)> {
    let id = new_session_id();
    let expires = now() + SESSION_TTL;
    state.store().create_session(&id, account, expires).await?;
    Ok((id, expires))
}

/// The member of a valid host session cookie (proves the host page's user), and the handle
/// that tokens minted from the session carry.
#[derive(Debug, Clone)]
pub struct Session(pub Account, pub String);

impl FromRequestParts<AppState> for Session {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let id = cookie(&parts.headers, state.config().session_cookie_name())
            .ok_or(Error::NotAuthenticated)?;
        state
            .store()
            .session(id, OffsetDateTime::now_utc())
            .await?
            .map(|s| Session(s.account, s.handle))
            .ok_or(Error::NotAuthenticated)
    }
}

/// What token minting is rate-limited by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MintKey {
    /// A host session (by its handle) and an item.
    Session(Box<str>, Uuid),
    /// An integration API key (by name) and an item.
    ApiKey(Box<str>, Uuid),
}

/// Takes one mint of `key`'s budget (`[server] token_mint_*`), else 429 with `Retry-After`.
pub fn limit_mint(state: &AppState, key: &MintKey) -> Result<()> {
    state
        .mint_limiter()
        .check(key, std::time::Instant::now())
        .map_err(|wait| Error::TokenRateLimited(crate::ratelimit::retry_after_secs(wait)))
}

/// Refuses a request whose `Origin` is not the origin the token was minted for (401
/// AFERR019). A request without `Origin` (a native client) is judged by the token alone;
/// `Origin: null` (a sandboxed or opaque context) is an origin, and no token is minted for it.
pub fn check_token_origin(headers: &HeaderMap, claims: &AppClaims) -> Result<()> {
    let mut all = headers.get_all(header::ORIGIN).iter();
    let Some(first) = all.next() else {
        return Ok(());
    };
    if all.next().is_none() && first.to_str().is_ok_and(|o| o == claims.sub.origin) {
        return Ok(());
    }
    Err(Error::TokenOriginMismatch(format!(
        "the request's Origin {:?} is not the origin this app token was issued for",
        String::from_utf8_lossy(first.as_bytes())
    )))
}

impl OptionalFromRequestParts<AppState> for Session {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>> {
        match <Session as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(s) => Ok(Some(s)),
            Err(Error::NotAuthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A verified app token from `Authorization: Bearer` (never from a cookie). Only the
/// signature and expiry are checked here; [`AppToken::access`] checks the item and account.
#[derive(Debug, Clone)]
pub struct AppToken(pub AppClaims);

impl FromRequestParts<AppState> for AppToken {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let Bearer(token) = Bearer::from_request_parts(parts, state).await?;
        let claims = state.jwt().verify_cached(&token)?;
        check_token_origin(&parts.headers, &claims)?;
        Ok(AppToken(claims))
    }
}

/// A verified integration API key (Bearer, `?apiKey=`, or the `apiKey` form field).
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// Key name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
}

impl ApiKey {
    /// Requires the scope a method needs: `read` for GET/HEAD, `write` otherwise.
    pub fn check_method(&self, method: &Method) -> Result<()> {
        let need = if method == Method::GET || method == Method::HEAD {
            Scope::Read
        } else {
            Scope::Write
        };
        if self.scopes.contains(&need) {
            Ok(())
        } else {
            Err(Error::ApiKey(format!(
                "the API key {:?} lacks the {need:?} scope",
                self.name
            )))
        }
    }
}

/// Looks up an API key secret.
pub async fn find_api_key(state: &AppState, key: &str) -> Result<ApiKey> {
    let rec = state
        .store()
        .find_api_key(key)
        .await?
        .ok_or_else(|| Error::ApiKey("unknown API key".into()))?;
    Ok(ApiKey {
        name: rec.name,
        scopes: rec.scopes,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;

    /// A subject with fresh ids, for tests of tokens and what they grant.
    pub(crate) fn sub() -> TokenSubject {
        TokenSubject {
            account_id: Some(Uuid::new_v4()),
            item_id: Uuid::new_v4(),
            key: Uuid::new_v4(),
            origin: "http://127.0.0.1:8081".into(),
        }
    }

    #[test]
    fn a_signed_token_verifies_and_keeps_its_subject_object() {
        let jwt = Jwt::new(b"0123456789abcdef0123456789abcdef", 900);
        let s = sub();
        let t = jwt.sign(s.clone(), None).unwrap();
        let c = jwt.verify(&t).unwrap();
        assert_eq!(c.sub, s);
        assert_eq!(c.exp - c.iat, 900);
        // The payload carries `sub` as an object with camelCase keys, as Graasp does.
        let payload = t.split('.').nth(1).unwrap();
        use base64::Engine;
        let json: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert!(json["sub"]["itemId"].is_string());
        assert!(json["sub"]["accountId"].is_string());
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let jwt = Jwt::new(b"0123456789abcdef0123456789abcdef", 900);
        let mut t = jwt.sign_with_ttl(sub(), None, 0).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(matches!(jwt.verify(&t), Err(Error::InvalidToken(_))));
        t.push('x');
        assert!(jwt.verify(&t).is_err());
    }

    #[test]
    fn a_cached_token_is_refused_once_it_expires() {
        let jwt = Jwt::new(b"0123456789abcdef0123456789abcdef", 900);
        let t = jwt.sign_with_ttl(sub(), None, 2).unwrap();
        let first = jwt.verify_cached(&t).unwrap();
        // The second check is served from the cache and gives the same claims.
        assert_eq!(jwt.verify_cached(&t).unwrap(), first);
        while unix_now() < first.exp {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(matches!(
            jwt.verify_cached(&t),
            Err(Error::InvalidToken(m)) if m.contains("expired")
        ));
        assert!(matches!(jwt.verify(&t), Err(Error::InvalidToken(_))));
    }

    #[test]
    fn the_token_cache_never_accepts_a_token_it_did_not_verify() {
        let jwt = Jwt::new(b"0123456789abcdef0123456789abcdef", 900);
        let t = jwt.sign(sub(), None).unwrap();
        jwt.verify_cached(&t).unwrap();
        // Same header and claims, another signature: not the cached text, so it is checked.
        let (message, _) = t.rsplit_once('.').unwrap();
        let forged = format!("{message}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert!(matches!(
            jwt.verify_cached(&forged),
            Err(Error::InvalidToken(_))
        ));
        let other = Jwt::new(b"fedcba9876543210fedcba9876543210", 900);
        assert!(other.verify_cached(&t).is_err());
    }

    #[test]
    fn the_token_origin_is_compared_exactly_and_absent_passes() {
        let claims = AppClaims {
            sub: sub(),
            sid: None,
            iat: 0,
            exp: u64::MAX,
        };
        let mut h = HeaderMap::new();
        assert!(check_token_origin(&h, &claims).is_ok());
        h.insert(header::ORIGIN, claims.sub.origin.parse().unwrap());
        assert!(check_token_origin(&h, &claims).is_ok());
        for other in ["null", "http://127.0.0.1:8081/", "http://127.0.0.1:8082"] {
            h.insert(header::ORIGIN, other.parse().unwrap());
            assert!(matches!(
                check_token_origin(&h, &claims),
                Err(Error::TokenOriginMismatch(_))
            ));
        }
        h.insert(header::ORIGIN, claims.sub.origin.parse().unwrap());
        h.append(header::ORIGIN, claims.sub.origin.parse().unwrap());
        assert!(
            check_token_origin(&h, &claims).is_err(),
            "two Origin headers"
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_rejected() {
        let a = Jwt::new(b"0123456789abcdef0123456789abcdef", 900);
        let b = Jwt::new(b"fedcba9876543210fedcba9876543210", 900);
        let t = b.sign(sub(), None).unwrap();
        assert!(matches!(a.verify(&t), Err(Error::InvalidToken(_))));
    }

    #[test]
    fn file_tokens_and_app_tokens_are_not_interchangeable() {
        let jwt = Jwt::new(b"0123456789abcdef0123456789abcdef", 900);
        let f = jwt.sign_file(Uuid::new_v4()).unwrap();
        assert!(jwt.verify(&f).is_err());
        let t = jwt.sign(sub(), None).unwrap();
        assert!(jwt.verify_file(&t).is_err());
        assert!(jwt.verify_file(&f).is_ok());
    }

    #[test]
    fn the_secret_is_generated_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_secret(None, dir.path()).unwrap();
        let b = load_or_create_secret(None, dir.path()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(load_or_create_secret(Some("x"), dir.path()).unwrap(), "x");
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; appframe_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn under_https_the_cookie_is_host_prefixed_secure_and_host_only() {
        let c = session_cookie("abc", 60, true);
        assert!(c.starts_with("__Host-appframe_session=abc;"), "{c}");
        assert!(c.contains("; Secure") && c.contains("; Path=/;"), "{c}");
        assert!(!c.to_ascii_lowercase().contains("domain"), "{c}");
        assert_eq!(session_cookie_name(true), SECURE_SESSION_COOKIE);
    }

    #[test]
    fn under_http_the_cookie_keeps_its_plain_name_without_secure() {
        let c = session_cookie("abc", 60, false);
        assert!(c.starts_with("appframe_session=abc;"), "{c}");
        assert!(!c.contains("Secure"), "{c}");
        assert_eq!(session_cookie_name(false), SESSION_COOKIE);
    }
}
