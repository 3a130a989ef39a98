//! Who may do what with an item's app data, actions and settings: the one statement of the
//! rules that the server's routes, list cache and websocket hub and the SDK's standalone
//! backend all call, so a change to who sees what is made here once.
//!
//! The matrix is Graasp's *documented* one (docs `8-permissions.md`), not its code:
//! - an app-data row is seen by the item's admins, by everyone when its visibility is `item`,
//!   and otherwise by its parties: the account it is addressed to and its creator (upstream
//!   forgets the creator);
//! - it is patched or deleted by its parties and the item's admins (`write` grants nothing
//!   more: the docs say read and write are the same for apps);
//! - app settings are written by admins only; anyone with access to the item reads them;
//! - app actions are read in full by admins; anyone else reads only their own;
//! - a live event reaches members of the item only, and of them whoever the rules above let
//!   see the row it carries.
//!
//! Everything here is small and allocation-free: it is compiled into the SDK's wasm too.

use crate::{AccountId, AppData, Permission, Visibility, ws::UpdateEntity};
use serde::{Deserialize, Serialize};

/// Whether a permission is admin on the item (`None`: no membership).
pub fn is_admin(permission: Option<Permission>) -> bool {
    permission == Some(Permission::Admin)
}

/// Who asks: their account (`None` for an anonymous token) and their permission on the item
/// (`None` without a membership).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Viewer {
    /// The caller's account.
    pub account: Option<AccountId>,
    /// The caller's permission on the item.
    pub permission: Option<Permission>,
}

/// What the rules read of an app-data row: its visibility and its two parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowParties {
    /// Visibility.
    pub visibility: Visibility,
    /// The account the row is addressed to.
    pub account: AccountId,
    /// The creator, if the account still exists.
    pub creator: Option<AccountId>,
}

impl RowParties {
    /// The parties of a wire row.
    pub fn of(d: &AppData) -> RowParties {
        RowParties {
            visibility: d.visibility,
            account: d.account.id,
            creator: d.creator.as_ref().map(|c| c.id),
        }
    }

    /// Whether `account` is the row's addressed account or its creator.
    pub fn has_party(&self, account: AccountId) -> bool {
        self.account == account || self.creator == Some(account)
    }
}

/// Which app-data rows of an item a viewer sees; the SQL list filter implements exactly this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowScope {
    /// Every row (admins).
    All,
    /// `item` rows plus the `member` rows this account is a party of (`None`: `item` rows only).
    VisibleTo(Option<AccountId>),
}

impl RowScope {
    /// Whether the scope includes the row.
    pub fn includes(self, row: RowParties) -> bool {
        match self {
            RowScope::All => true,
            RowScope::VisibleTo(account) => {
                row.visibility == Visibility::Item || account.is_some_and(|a| row.has_party(a))
            }
        }
    }
}

impl Viewer {
    /// The rows this viewer sees.
    pub fn row_scope(self) -> RowScope {
        if is_admin(self.permission) {
            RowScope::All
        } else {
            RowScope::VisibleTo(self.account)
        }
    }
}

/// Whether the viewer may see an app-data row (list, download of its file).
pub fn can_see_row(viewer: Viewer, row: RowParties) -> bool {
    viewer.row_scope().includes(row)
}

/// Whether the viewer may patch or delete an app-data row: its parties and the item's admins.
pub fn can_modify_row(viewer: Viewer, row: RowParties) -> bool {
    is_admin(viewer.permission) || viewer.account.is_some_and(|a| row.has_party(a))
}

/// Whether a member with this permission may create, patch or delete app settings (uploads
/// included).
pub fn can_write_settings(permission: Option<Permission>) -> bool {
    is_admin(permission)
}

/// Whether a member with this permission reads every member's app actions (list without a
/// filter or filtered on anyone, the `app-actions` websocket topic).
pub fn can_read_all_actions(permission: Option<Permission>) -> bool {
    is_admin(permission)
}

/// Whose app actions a list returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionScope {
    /// Every member's.
    All,
    /// One account's.
    Of(AccountId),
}

/// Whose app actions `me` gets when listing with the account filter `requested`: an admin
/// gets what they ask for; anyone else gets their own and may filter only on themselves
/// (`None`: refused, 403 `GAERR006`).
pub fn actions_of(
    me: AccountId,
    permission: Option<Permission>,
    requested: Option<AccountId>,
) -> Option<ActionScope> {
    match requested {
        _ if can_read_all_actions(permission) => {
            Some(requested.map_or(ActionScope::All, ActionScope::Of))
        }
        Some(other) if other != me => None,
        _ => Some(ActionScope::Of(me)),
    }
}

/// Who may receive a live event, decided again for every event (memberships change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "camelCase")]
pub enum Audience {
    /// Every member of the item (item-visible app data, app settings).
    Readers,
    /// Those who read every action (app actions).
    Admins,
    /// Member-visible app data: its parties and the item's admins.
    Member {
        /// The addressed account.
        account: AccountId,
        /// The creator, if it still exists.
        creator: Option<AccountId>,
    },
}

impl Audience {
    /// The audience of a change of `entity`.
    pub fn of(entity: &UpdateEntity) -> Audience {
        match entity {
            UpdateEntity::AppData(d) => Audience::of_row(RowParties::of(d)),
            UpdateEntity::AppAction(_) => Audience::Admins,
            UpdateEntity::AppSetting(_) => Audience::Readers,
        }
    }

    /// The audience of a change of an app-data row.
    pub fn of_row(row: RowParties) -> Audience {
        match row.visibility {
            Visibility::Item => Audience::Readers,
            Visibility::Member => Audience::Member {
                account: row.account,
                creator: row.creator,
            },
        }
    }

    /// Whether `account`, holding `permission` on the item (`None`: no membership, never
    /// reached), receives the event.
    pub fn reaches(self, account: AccountId, permission: Option<Permission>) -> bool {
        if permission.is_none() {
            return false;
        }
        let viewer = Viewer {
            account: Some(account),
            permission,
        };
        match self {
            Audience::Readers => true,
            Audience::Admins => can_read_all_actions(permission),
            Audience::Member { account, creator } => can_see_row(
                viewer,
                RowParties {
                    visibility: Visibility::Member,
                    account,
                    creator,
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    const OWNER: AccountId = AccountId(Uuid::from_u128(1));
    const CREATOR: AccountId = AccountId(Uuid::from_u128(2));
    const OTHER: AccountId = AccountId(Uuid::from_u128(3));

    const R: Option<Permission> = Some(Permission::Read);
    const W: Option<Permission> = Some(Permission::Write);
    const A: Option<Permission> = Some(Permission::Admin);
    const NONE: Option<Permission> = None;

    fn row(visibility: Visibility) -> RowParties {
        RowParties {
            visibility,
            account: OWNER,
            creator: Some(CREATOR),
        }
    }

    fn v(account: Option<AccountId>, permission: Option<Permission>) -> Viewer {
        Viewer {
            account,
            permission,
        }
    }

    #[test]
    fn who_sees_and_modifies_a_row() {
        use Visibility::{Item, Member};
        // (visibility, viewer account, permission, sees, modifies)
        let cases = [
            (Member, Some(OWNER), R, true, true),
            (Member, Some(CREATOR), R, true, true),
            (Member, Some(OTHER), R, false, false),
            (Member, Some(OTHER), W, false, false),
            (Member, Some(OTHER), A, true, true),
            (Member, Some(OTHER), NONE, false, false),
            (Member, Some(OWNER), NONE, true, true),
            (Member, None, R, false, false),
            (Member, None, A, true, true),
            (Item, Some(OTHER), R, true, false),
            (Item, Some(OTHER), W, true, false),
            (Item, Some(OTHER), A, true, true),
            (Item, Some(OTHER), NONE, true, false),
            (Item, Some(CREATOR), W, true, true),
            (Item, None, NONE, true, false),
        ];
        for (vis, account, permission, sees, modifies) in cases {
            let (viewer, r) = (v(account, permission), row(vis));
            let case = format!("{vis:?} {account:?} {permission:?}");
            assert_eq!(can_see_row(viewer, r), sees, "see {case}");
            assert_eq!(can_modify_row(viewer, r), modifies, "modify {case}");
        }
    }

    #[test]
    fn a_row_without_creator_has_only_its_addressee_as_party() {
        let r = RowParties {
            creator: None,
            ..row(Visibility::Member)
        };
        assert!(r.has_party(OWNER));
        assert!(!r.has_party(CREATOR));
        assert!(!can_see_row(v(Some(CREATOR), R), r));
        assert!(!can_modify_row(v(Some(CREATOR), R), r));
    }

    #[test]
    fn row_scopes() {
        assert_eq!(v(Some(OTHER), A).row_scope(), RowScope::All);
        assert_eq!(v(None, A).row_scope(), RowScope::All);
        assert_eq!(
            v(Some(OTHER), W).row_scope(),
            RowScope::VisibleTo(Some(OTHER))
        );
        assert_eq!(v(None, R).row_scope(), RowScope::VisibleTo(None));
        let scope = RowScope::VisibleTo(None);
        assert!(scope.includes(row(Visibility::Item)));
        assert!(!scope.includes(row(Visibility::Member)));
    }

    #[test]
    fn settings_are_written_by_admins_only() {
        for (p, may) in [(NONE, false), (R, false), (W, false), (A, true)] {
            assert_eq!(can_write_settings(p), may, "{p:?}");
        }
    }

    #[test]
    fn whose_actions_a_list_returns() {
        // (permission, requested filter, answer)
        let cases = [
            (R, None, Some(ActionScope::Of(OWNER))),
            (R, Some(OWNER), Some(ActionScope::Of(OWNER))),
            (R, Some(OTHER), None),
            (W, Some(OTHER), None),
            (NONE, None, Some(ActionScope::Of(OWNER))),
            (A, None, Some(ActionScope::All)),
            (A, Some(OTHER), Some(ActionScope::Of(OTHER))),
            (A, Some(OWNER), Some(ActionScope::Of(OWNER))),
        ];
        for (permission, requested, answer) in cases {
            assert_eq!(
                actions_of(OWNER, permission, requested),
                answer,
                "{permission:?} {requested:?}"
            );
        }
        assert!(can_read_all_actions(A));
        assert!(!can_read_all_actions(W));
    }

    #[test]
    fn which_members_an_event_reaches() {
        let member = Audience::Member {
            account: OWNER,
            creator: Some(CREATOR),
        };
        // (audience, account, permission, reached)
        let cases = [
            (member, OWNER, R, true),
            (member, CREATOR, R, true),
            (member, OTHER, A, true),
            (member, OTHER, W, false),
            (member, OTHER, R, false),
            (member, OWNER, NONE, false),
            (Audience::Admins, OTHER, A, true),
            (Audience::Admins, OTHER, W, false),
            (Audience::Admins, OTHER, NONE, false),
            (Audience::Readers, OTHER, R, true),
            (Audience::Readers, OTHER, NONE, false),
        ];
        for (audience, account, permission, reached) in cases {
            assert_eq!(
                audience.reaches(account, permission),
                reached,
                "{audience:?} {account:?} {permission:?}"
            );
        }
    }

    #[test]
    fn an_event_reaches_whoever_may_see_its_row_among_members() {
        // The audience of a data event is the row rule restricted to members.
        for vis in [Visibility::Item, Visibility::Member] {
            let r = row(vis);
            let audience = Audience::of_row(r);
            for account in [OWNER, CREATOR, OTHER] {
                for permission in [NONE, R, W, A] {
                    assert_eq!(
                        audience.reaches(account, permission),
                        permission.is_some() && can_see_row(v(Some(account), permission), r),
                        "{vis:?} {account:?} {permission:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_audience_serializes_as_the_hub_sends_it() {
        let a = Audience::Member {
            account: OWNER,
            creator: None,
        };
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"to":"member","account":"00000000-0000-0000-0000-000000000001","creator":null}"#
        );
        assert_eq!(
            serde_json::to_string(&Audience::Readers).unwrap_or_default(),
            r#"{"to":"readers"}"#
        );
    }
}
