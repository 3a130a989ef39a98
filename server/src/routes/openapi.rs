//! The OpenAPI document (generated from the handlers' `#[utoipa::path]` annotations) at
//! `/api/openapi.json`, and Swagger UI at `/swagger` (assets vendored into the binary).

use crate::routes::{
    admin, admin_keys, app_action, app_data, app_items, app_settings, app_storage, chat_bot,
    export, files, health, host,
};
use axum::Router;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_swagger_ui::SwaggerUi;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "appToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        c.add_security_scheme(
            "apiKey",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "appframe server", description = "The Graasp apps API (`/api/app-items`), the host routes, the integration API (`/api/admin`, API key) and real-time updates over WebSocket (`GET /api/ws`, Graasp protocol `realm: notif`; auth by host session cookie or `Sec-WebSocket-Protocol: appframe.v1, appframe.token.<jwt>`)."),
    paths(
        app_items::token, app_items::context, app_items::list,
        app_data::list, app_data::create, app_data::update, app_data::delete,
        app_action::list, app_action::create,
        app_settings::list, app_settings::create, app_settings::update, app_settings::delete,
        app_storage::keys, app_storage::read, app_storage::write, app_storage::remove,
        chat_bot::chat_bot,
        files::upload_app_data, files::upload_app_setting, files::download_app_data,
        files::download_app_setting, files::serve_file, health::health,
        host::login, host::logout, host::me, host::items, host::item, host::host_config, host::members,
        admin::list_members, admin::create_member, admin::get_member, admin::patch_member, admin::delete_member,
        admin::list_items, admin::create_item, admin::get_item, admin::patch_item, admin::delete_item, export::export,
        admin::list_memberships, admin::set_membership, admin::delete_membership,
        admin::list_publishers, admin::put_publisher, admin::delete_publisher,
        admin::list_apps, admin::get_app, admin::put_app, admin::delete_app,
        admin::create_session, admin::create_app_token,
        admin_keys::list, admin_keys::create, admin_keys::revoke,
        crate::ws::upgrade,
    ),
    components(schemas(appframe_protocol::ErrorBody)),
    modifiers(&Security)
)]
pub struct ApiDoc;

/// Swagger UI at `/swagger`, and the document it reads at `/api/openapi.json`.
pub fn swagger() -> Router {
    Router::new().merge(SwaggerUi::new("/swagger").url("/api/openapi.json", ApiDoc::openapi()))
}
