//! App-data and app-setting rows as the API shows them: their wire form, who may see an
//! app-data row, and the websocket publication of a change. Shared by the resource routes
//! (`app_data`, `app_settings`) and the file routes, which create rows too, so that neither
//! imports the other.

use crate::{
    AppState,
    access::Access,
    store::{AppDataRow, AppSettingRow},
};
use appframe_protocol::{
    AppData, AppSetting, rules,
    ws::{Op, UpdateEntity},
};
use uuid::Uuid;

/// Publishes a committed change of a row to websocket subscribers.
pub fn publish_data(state: &AppState, item_id: Uuid, op: Op, row: &AppData) {
    state
        .ws()
        .publish(item_id, op, UpdateEntity::AppData(Box::new(row.clone())));
}

/// Whether the caller may see a row (the list rule).
pub fn can_see(access: &Access, r: &AppDataRow) -> bool {
    rules::can_see_row(access.viewer(), r.parties())
}

/// The wire form of a setting.
pub fn setting_to_wire(r: AppSettingRow) -> AppSetting {
    AppSetting {
        id: r.id.into(),
        name: r.name,
        data: r.data,
        creator: r.creator,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// Publishes a committed change of a setting to websocket subscribers.
pub fn publish_setting(state: &AppState, item_id: Uuid, op: Op, row: &AppSetting) {
    state
        .ws()
        .publish(item_id, op, UpdateEntity::AppSetting(Box::new(row.clone())));
}
