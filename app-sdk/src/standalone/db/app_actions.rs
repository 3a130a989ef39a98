//! The mock server's app-action routes: list (all for admins, else the caller's own) and
//! record.

use super::{Caller, MockDb, Stamp, invalid, rows};
use crate::{error::Error, wire::codec::ToJson};
use appframe_protocol::{
    AccountId, AppAction, JsonObject,
    rules::{self, ActionScope},
    validate_type,
};

impl MockDb {
    /// `GET .../app-action?accountId=`.
    pub(crate) fn list_app_actions(
        &self,
        c: &Caller,
        account: Option<AccountId>,
    ) -> Result<Vec<AppAction>, Error> {
        let me = c.account()?;
        let who = match rules::actions_of(me, Some(c.permission), account) {
            Some(ActionScope::All) => None,
            Some(ActionScope::Of(a)) => Some(a),
            None => return Err(Error::http(403, "GAERR006", "MEMBER_CANNOT_ADMIN_ITEM")),
        };
        let mut all: Vec<AppAction> = rows(&self.app_actions)?;
        all.retain(|a| who.is_none_or(|w| a.account.id == w));
        Ok(all)
    }

    /// `POST .../app-action` (the server answers 204; the action is returned for the live event).
    pub(crate) fn create_app_action(
        &mut self,
        c: &Caller,
        ty: &str,
        data: JsonObject,
        s: Stamp,
    ) -> Result<AppAction, Error> {
        let me = self.member(c.account()?)?;
        validate_type(ty).map_err(invalid)?;
        let action = AppAction {
            id: s.id,
            account: me.clone(),
            member: me,
            ty: ty.to_owned(),
            data,
            created_at: s.now,
        };
        self.app_actions.push(action.to_json());
        Ok(action)
    }
}
