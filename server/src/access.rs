//! What an app token grants on its item, and whether it still works: the per-request check of
//! every `/api/app-items/*` route and of token websocket connections, read by one
//! [`crate::store::Store::item_access`] query through the caching store
//! ([`crate::cache::CachedStore::token_access`]).

use crate::{
    AppState,
    auth::{AppClaims, AppToken},
    error::{Error, Result},
    store::Account,
};
use appframe_protocol::{
    AccountId,
    rules::{self, Viewer},
};
use std::sync::Arc;
use time::OffsetDateTime;
use uuid::Uuid;

/// What a token grants on its item once checked against the store: the caller (`None` only
/// on optional-auth routes with an anonymous token), the item, the caller's permission, and
/// what the token must still match (the app's key and origins now, the host session).
pub use crate::store::ItemAccess as Access;

impl Access {
    /// Why a token with these claims no longer works, if it does not: what it was minted
    /// from (session, app key, registered origin) is gone.
    pub fn revoked(&self, claims: &AppClaims) -> Option<&'static str> {
        let sub = &claims.sub;
        if sub.key != self.app_key {
            return Some("the app's key has changed");
        }
        if !self.origins.contains(&sub.origin) {
            return Some("the token's origin is no longer registered for this app");
        }
        if claims.sid.is_some() {
            let live = self.session.is_some_and(|(account, expires)| {
                Some(account) == sub.account_id && expires > OffsetDateTime::now_utc()
            });
            if !live {
                return Some("the host session the token was issued in has ended");
            }
        }
        None
    }
}

/// The store's answer for a token's item, account and session, from the access cache while
/// neither the registry nor the sessions changed (SQLite), else from one query.
pub(crate) async fn load_access(
    state: &AppState,
    item: Uuid,
    claims: &AppClaims,
) -> Result<Arc<Access>> {
    state
        .store()
        .token_access(item, claims.sub.account_id, claims.sid.as_deref())
        .await?
        .ok_or(Error::ItemNotFound)
}

/// Whether a token still works: its item exists and it is not revoked (401 AFERR020). For
/// websocket connections opened with a token, at the upgrade and at every heartbeat.
pub async fn check_not_revoked(state: &AppState, claims: &AppClaims) -> Result<()> {
    let access = load_access(state, claims.sub.item_id, claims).await?;
    match access.revoked(claims) {
        Some(why) => Err(Error::TokenRevoked(why.into())),
        None => Ok(()),
    }
}

impl Access {
    /// The caller, required on strict routes.
    pub fn account(&self) -> Result<&Account> {
        self.account.as_ref().ok_or(Error::NotAuthenticated)
    }

    /// Whether the caller is an admin of the item.
    pub fn is_admin(&self) -> bool {
        rules::is_admin(self.permission)
    }

    /// The caller as the access rules see them.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            account: self.account.as_ref().map(|a| AccountId::from(a.id)),
            permission: self.permission,
        }
    }
}

impl AppToken {
    /// The item id the token is bound to.
    pub fn item_id(&self) -> Uuid {
        self.0.sub.item_id
    }

    /// Checks the token against the URL's item (401 GAERR003 on mismatch), loads the account
    /// (strict: it must exist) and the item, refuses a revoked token (401 AFERR020: its
    /// session ended, the app key changed or its origin was removed), and requires a
    /// membership (403 GERR016).
    ///
    /// The answer is shared (`Arc`): with the SQLite store it comes from the permission cache,
    /// and most requests only read it.
    pub async fn access(
        &self,
        state: &AppState,
        url_item: Uuid,
        strict: bool,
    ) -> Result<Arc<Access>> {
        let sub = &self.0.sub;
        if sub.item_id != url_item {
            return Err(Error::TokenItemMismatch);
        }
        if strict && sub.account_id.is_none() {
            return Err(Error::InvalidToken("this route needs an account".into()));
        }
        let access = load_access(state, url_item, &self.0).await?;
        if sub.account_id.is_some() && access.account.is_none() {
            return Err(Error::InvalidToken(
                "the token's account no longer exists".into(),
            ));
        }
        if let Some(why) = access.revoked(&self.0) {
            return Err(Error::TokenRevoked(why.into()));
        }
        // Anonymous tokens are only minted for items the viewer may read; there are no public
        // items yet, so they carry no permission. A member needs a membership.
        if access.account.is_some() && access.permission.is_none() {
            return Err(Error::CannotAccess);
        }
        Ok(access)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::{
        auth::tests::sub,
        store::{ItemRecord, now},
    };

    fn access(claims: &AppClaims) -> Access {
        Access {
            account: None,
            item: ItemRecord {
                id: claims.sub.item_id,
                name: "i".into(),
                app: "a".into(),
                description: None,
                lang: "en".into(),
                settings: Default::default(),
                created_at: now(),
                updated_at: now(),
            },
            permission: None,
            app_key: claims.sub.key,
            origins: vec!["http://other:1".into(), claims.sub.origin.clone()],
            session: claims
                .sub
                .account_id
                .map(|a| (a, now() + time::Duration::hours(1))),
        }
    }

    #[test]
    fn a_token_is_revoked_when_its_session_key_or_origin_is_gone() {
        let claims = AppClaims {
            sub: sub(),
            sid: Some("handle".into()),
            iat: 0,
            exp: u64::MAX,
        };
        let live = access(&claims);
        assert_eq!(live.revoked(&claims), None);
        let mut a = live.clone();
        a.session = None;
        assert!(a.revoked(&claims).unwrap().contains("session"));
        a.session = Some((Uuid::new_v4(), now() + time::Duration::hours(1)));
        assert!(a.revoked(&claims).is_some(), "another account's session");
        a.session = Some((
            claims.sub.account_id.unwrap(),
            now() - time::Duration::seconds(1),
        ));
        assert!(a.revoked(&claims).is_some(), "an expired session");
        let mut a = live.clone();
        a.app_key = Uuid::new_v4();
        assert!(a.revoked(&claims).unwrap().contains("key"));
        let mut a = live.clone();
        a.origins.retain(|o| *o != claims.sub.origin);
        assert!(a.revoked(&claims).unwrap().contains("origin"));
        // A token of the integration API names no session: only key and origin count.
        let unbound = AppClaims {
            sid: None,
            ..claims.clone()
        };
        let mut a = live;
        a.session = None;
        assert_eq!(a.revoked(&unbound), None);
    }
}
