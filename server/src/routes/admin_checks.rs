//! The checks the integration API's writes share: a name's length, and an entry that
//! `appframe.toml` deactivated.

use crate::{
    AppState,
    error::{Error, Result},
    store::Entry,
};

/// 409 for an entry the configuration deactivated: writing it here would leave it inert, and
/// only the file may bring it back.
pub(super) async fn refuse_deactivated(state: &AppState, entry: Entry) -> Result<()> {
    if state.store().deactivated(&entry).await? {
        return Err(Error::Conflict(format!(
            "{entry} was deactivated because appframe.toml no longer declares it; declare it \
             there again to restore it (its data was kept)"
        )));
    }
    Ok(())
}

pub(super) fn nonempty(field: &str, s: &str) -> Result<()> {
    if s.trim().is_empty() || s.chars().count() > 300 {
        return Err(Error::BadRequest(format!(
            "body/{field} must be 1–300 characters"
        )));
    }
    Ok(())
}
