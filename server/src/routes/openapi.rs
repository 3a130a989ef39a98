//! The OpenAPI document (generated from the handlers' `#[utoipa::path]` annotations) at
//! `/api/openapi.json`, and Swagger UI at `/swagger` (assets vendored into the binary).
//!
//! The handlers' doc comments give each operation its summary (first paragraph) and
//! description (the rest); [`Finish`] then adds what is the same for every operation: unique
//! operation ids, the Graasp error body (with an example made by the server's own error
//! mapping) on every 4xx/5xx answer, the API-key alternatives on the integration API, and the
//! root aliases the official Graasp client calls.

use crate::{
    error::Error,
    routes::{
        admin_apps, admin_items, admin_keys, admin_members, admin_sessions, app_action, app_data,
        app_items, app_settings, app_storage, chat_bot, export, files_download, files_upload,
        health, host, import,
    },
};
use axum::Router;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, Content, Ref, RefOr,
        path::{Operation, PathItem},
        security::SecurityScheme,
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement},
    },
};
use utoipa_swagger_ui::SwaggerUi;

/// The security schemes, one per way a caller proves who it is.
fn security_schemes(c: &mut openapi::Components) {
    c.add_security_scheme(
        "appToken",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "App token from `POST /api/app-items/{item_id}/api-access-token` (host) or \
                     `POST /api/admin/app-tokens` (integration API).",
                ))
                .build(),
        ),
    );
    c.add_security_scheme(
        "hostSession",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            "appframe_session",
            "Host session cookie (`__Host-appframe_session` when the server runs behind TLS), \
             set by `POST /api/login` in dev mode or minted by `POST /api/admin/sessions`.",
        ))),
    );
    c.add_security_scheme(
        "apiKey",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "Integration API key in `Authorization: Bearer <key>`. GET needs the `read` \
                     scope, every other method `write`. The key may instead be sent as the \
                     `apiKey` query parameter (`apiKeyQuery`) or as an `apiKey` field of an \
                     `application/x-www-form-urlencoded` body, whose other fields then become \
                     the JSON body (string values only).",
                ))
                .build(),
        ),
    );
    c.add_security_scheme(
        "apiKeyQuery",
        SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
            "apiKey",
            "Integration API key as `?apiKey=<key>` (same scopes as `apiKey`).",
        ))),
    );
}

/// Errors whose Graasp body serves as the example of an answer: for each 4xx/5xx the one
/// whose code the answer's description names, else the first with that status.
fn sample_errors() -> Vec<Error> {
    use crate::quota::{Exceeded, Limit};
    vec![
        Error::BadRequest("body/data must be object".into()),
        Error::PayloadTooLarge("the body is larger than 1048576 bytes".into()),
        Error::UnsupportedMediaType("the body must be application/json".into()),
        Error::NotAuthenticated,
        Error::InvalidToken("expired".into()),
        Error::ApiKey("an API key is required".into()),
        Error::ApiKey("this key lacks the write scope".into()),
        Error::TokenRevoked("the host session ended".into()),
        Error::TokenOriginMismatch("the Origin is not the token's".into()),
        Error::TokenItemMismatch,
        Error::CannotAccess,
        Error::CannotWrite,
        Error::CannotAdmin,
        Error::CannotFilterOtherActions,
        Error::CannotPatchFile,
        Error::CannotModifyOthers,
        Error::InvalidAppOrigin,
        Error::ChatBotItemMismatch,
        Error::OriginNotAllowed("origin https://evil.example is not allowed".into()),
        Error::Quota(Exceeded {
            limit: Limit::ItemDataRows,
            max: 10_000,
        }),
        Error::ItemNotFound,
        Error::MemberNotFound,
        Error::AccountNotMember,
        Error::AppDataNotFound,
        Error::AppSettingNotFound,
        Error::NotFound("no app \"sticky-notes\"".into()),
        Error::Conflict("member 0b0c… was deactivated".into()),
        Error::TokenRateLimited(30),
        Error::ChatBotRateLimited(12),
        Error::ChatBotQuotaExceeded(3600),
        Error::Internal("hidden".into()),
        Error::ChatBotUpstream,
        Error::ChatBotNotConfigured,
        Error::ChatBotTimeout,
    ]
}

/// The example body of an error answer with `status` and `description`.
fn error_example(samples: &[Error], status: u16, description: &str) -> Option<serde_json::Value> {
    let by_code = samples
        .iter()
        .find(|e| e.status().as_u16() == status && description.contains(&e.body().code));
    let by_status = || samples.iter().find(|e| e.status().as_u16() == status);
    by_code
        .or_else(by_status)
        .and_then(|e| serde_json::to_value(e.body()).ok())
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// `app-data` + `list` → `appDataList`: handlers in different modules share function names.
fn operation_id(tag: &str, name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in tag.chars().chain(std::iter::once('_')).chain(name.chars()) {
        if c == '-' || c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Gives every 4xx/5xx answer of `op` the Graasp error body and an example.
fn error_bodies(op: &mut Operation, samples: &[Error]) {
    for (status, response) in op.responses.responses.iter_mut() {
        let Ok(code) = status.parse::<u16>() else {
            continue;
        };
        let RefOr::T(response) = response else {
            continue;
        };
        if code < 400 || !response.content.is_empty() {
            continue;
        }
        let mut content = Content::new(Some(Ref::from_schema_name("ErrorBody")));
        content.example = error_example(samples, code, &response.description);
        response
            .content
            .insert("application/json".to_owned(), content);
    }
}

/// The paths the official Graasp client calls at the origin's root (`routes::root_router`):
/// the same operations as under `/api`.
fn root_aliases(paths: &mut openapi::Paths) {
    for (api, root, suffix) in [
        (
            "/api/app-items/{item_id}/chat-bot",
            "/app-items/{item_id}/chat-bot",
            "AtRoot",
        ),
        ("/api/ws", "/ws", "AtRoot"),
    ] {
        let Some(mut item) = paths.paths.get(api).cloned() else {
            continue;
        };
        for op in operations(&mut item) {
            op.operation_id = op.operation_id.take().map(|id| format!("{id}{suffix}"));
            op.description = Some(format!(
                "The same operation as `{api}`, at the origin's root, where the official Graasp \
                 client calls it. {}",
                op.description.take().unwrap_or_default()
            ));
        }
        paths.paths.insert(root.to_owned(), item);
    }
}

/// Marks every schema of an object without declared properties (an app's `data`, an item's
/// `settings`) as open to any property. JSON Schema reads a bare `type: object` so already,
/// but generators such as openapi-typescript make it an object that may hold nothing.
fn open_free_form_objects(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            let is_object = match map.get("type") {
                Some(serde_json::Value::String(t)) => t == "object",
                Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            if is_object
                && !map.contains_key("properties")
                && !map.contains_key("additionalProperties")
            {
                map.insert("additionalProperties".into(), serde_json::Value::Bool(true));
            }
            map.values_mut().for_each(open_free_form_objects);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(open_free_form_objects),
        _ => {}
    }
}

/// What every operation gets the same way (see the module comment).
struct Finish;

impl Modify for Finish {
    fn modify(&self, api: &mut openapi::OpenApi) {
        security_schemes(api.components.get_or_insert_with(Default::default));
        let samples = sample_errors();
        for (path, item) in api.paths.paths.iter_mut() {
            let admin = path.starts_with("/api/admin/");
            for op in operations(item) {
                let tag = op
                    .tags
                    .as_ref()
                    .and_then(|t| t.first())
                    .cloned()
                    .unwrap_or_default();
                op.operation_id = op.operation_id.take().map(|name| operation_id(&tag, &name));
                error_bodies(op, &samples);
                if admin {
                    op.security = Some(vec![
                        SecurityRequirement::new("apiKey", Vec::<String>::new()),
                        SecurityRequirement::new("apiKeyQuery", Vec::<String>::new()),
                    ]);
                }
            }
        }
        root_aliases(&mut api.paths);
        // utoipa's schema types have no walker; the document round-trips through JSON instead.
        let opened = serde_json::to_value(&*api).and_then(|mut v| {
            open_free_form_objects(&mut v);
            serde_json::from_value(v)
        });
        match opened {
            Ok(doc) => *api = doc,
            Err(e) => tracing::error!("OpenAPI: cannot open free-form objects: {e}"),
        }
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "appframe server",
        description = "The Graasp apps API (`/api/app-items`), the host routes, the integration \
            API (`/api/admin`, API key) and real-time updates over WebSocket (`GET /api/ws`, \
            Graasp protocol `realm: notif`). Errors answer with the Graasp error body \
            (`ErrorBody`): a stable `code` (`GERR…`, `GAERR…` from Graasp, `AFERR…` from \
            appframe), a `name` and a `message`.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    servers((url = "/", description = "This server")),
    paths(
        app_items::token, app_items::context, app_items::list,
        app_data::list, app_data::create, app_data::update, app_data::delete,
        app_action::list, app_action::create,
        app_settings::list, app_settings::create, app_settings::update, app_settings::delete,
        app_storage::keys, app_storage::read, app_storage::write, app_storage::remove,
        chat_bot::chat_bot,
        files_upload::upload_app_data, files_upload::upload_app_setting,
        files_download::download_app_data, files_download::download_app_setting,
        files_download::serve_file, health::health,
        host::login, host::logout, host::me, host::items, host::item, host::host_config, host::members,
        admin_members::list_members, admin_members::create_member, admin_members::get_member,
        admin_members::patch_member, admin_members::delete_member,
        admin_items::list_items, admin_items::create_item, admin_items::get_item,
        admin_items::patch_item, admin_items::delete_item,
        export::export, import::import,
        admin_members::list_memberships, admin_members::set_membership,
        admin_members::delete_membership,
        admin_apps::list_publishers, admin_apps::put_publisher, admin_apps::delete_publisher,
        admin_apps::list_apps, admin_apps::get_app, admin_apps::put_app, admin_apps::delete_app,
        admin_sessions::create_session, admin_sessions::create_app_token,
        admin_keys::list, admin_keys::create, admin_keys::revoke,
        crate::ws::upgrade,
    ),
    components(schemas(appframe_protocol::ErrorBody)),
    tags(
        (name = "app-items", description = "Tokens, context and the app list (Graasp apps API)"),
        (name = "app-data", description = "An item's app data (Graasp apps API)"),
        (name = "app-action", description = "An item's app actions (Graasp apps API)"),
        (name = "app-settings", description = "An item's app settings (Graasp apps API)"),
        (name = "chat-bot", description = "The chat bot (Graasp apps API)"),
        (name = "files", description = "File app data and settings, and their downloads"),
        (name = "host", description = "The host page's routes (session cookie)"),
        (name = "admin", description = "The integration API (API key)"),
        (name = "realtime", description = "Updates over WebSocket"),
        (name = "storage", description = "The storage shim: per-member key-value state of an app (appframe extension)"),
        (name = "health", description = "Instance health, for load balancers"),
    ),
    modifiers(&Finish)
)]
pub struct ApiDoc;

/// Swagger UI at `/swagger`, and the document it reads at `/api/openapi.json`.
pub fn swagger() -> Router {
    Router::new().merge(SwaggerUi::new("/swagger").url("/api/openapi.json", ApiDoc::openapi()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// What a generated client needs of every operation: its own id, summary and
    /// description, a schema for every answer with a body, and the Graasp error body (with an
    /// example) on every error answer.
    #[test]
    fn every_operation_is_described_typed_and_answers_errors_with_the_graasp_body() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut ids = std::collections::BTreeSet::new();
        let mut summaries = std::collections::BTreeMap::new();
        let mut count = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let at = format!("{method} {path}");
                count += 1;
                let id = op["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_owned()), "{at}: operation id {id} twice");
                let summary = op["summary"].as_str().unwrap_or_default();
                assert!(
                    !summary.is_empty() && !summary.contains('`'),
                    "{at}: summary {summary:?}"
                );
                let description = op["description"].as_str().unwrap_or_default();
                assert!(description.len() > summary.len(), "{at}: no description");
                if let Some(other) = summaries.insert(summary.to_owned(), at.clone()) {
                    // The root aliases repeat their operation on purpose.
                    assert!(
                        at.contains(" /app-items/")
                            || at == "get /ws"
                            || other.contains(" /app-items/")
                            || other == "get /ws",
                        "{at} and {other} share the summary {summary:?}"
                    );
                }
                assert!(!op["security"].is_null(), "{at}: no security");
                for (status, response) in op["responses"].as_object().unwrap() {
                    let content = &response["content"];
                    match status.as_str() {
                        "101" | "204" => assert!(content.is_null(), "{at} {status}"),
                        s if s.starts_with('2') => {
                            let media = content
                                .as_object()
                                .unwrap_or_else(|| panic!("{at} {status}: no content"));
                            assert!(
                                media.values().all(|m| !m["schema"].is_null()),
                                "{at} {status}: no schema"
                            );
                        }
                        _ => {
                            let json = &content["application/json"];
                            assert_eq!(
                                json["schema"]["$ref"], "#/components/schemas/ErrorBody",
                                "{at} {status}"
                            );
                            let code = status.parse::<u64>().unwrap();
                            assert_eq!(
                                json["example"]["statusCode"], code,
                                "{at} {status}: example"
                            );
                        }
                    }
                }
            }
        }
        assert!(count >= 52, "{count} operations");
        let import = &doc["paths"]["/api/admin/items/{id}/import"]["post"];
        assert_eq!(import["operationId"], "adminImport");
        assert_eq!(
            import["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ImportReport"
        );
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        for s in ["appToken", "hostSession", "apiKey", "apiKeyQuery"] {
            assert!(schemes.contains_key(s), "{s}");
        }
        assert_eq!(schemes["apiKeyQuery"]["in"], "query");
        assert_eq!(schemes["hostSession"]["in"], "cookie");
        assert!(doc["paths"]["/app-items/{item_id}/chat-bot"]["post"].is_object());
        assert!(doc["paths"]["/ws"]["get"].is_object());
        // An app's data takes any property (a generated client can fill it).
        let data = &doc["components"]["schemas"]["AppData"]["properties"]["data"];
        assert_eq!(data["additionalProperties"], true, "{data}");
    }

    #[test]
    fn objects_without_properties_are_opened_and_others_are_left_alone() {
        let mut v = serde_json::json!({
            "a": {"type": "object"},
            "b": {"type": ["object", "null"]},
            "c": {"type": "object", "properties": {"x": {"type": "object"}}},
            "d": {"type": "object", "additionalProperties": false},
            "e": [{"type": "string"}]
        });
        open_free_form_objects(&mut v);
        assert_eq!(v["a"]["additionalProperties"], true);
        assert_eq!(v["b"]["additionalProperties"], true);
        assert!(v["c"].get("additionalProperties").is_none());
        assert_eq!(v["c"]["properties"]["x"]["additionalProperties"], true);
        assert_eq!(v["d"]["additionalProperties"], false);
        assert!(v["e"][0].get("additionalProperties").is_none());
    }

    #[test]
    fn operation_ids_join_tag_and_name_in_camel_case() {
        assert_eq!(operation_id("app-data", "list"), "appDataList");
        assert_eq!(
            operation_id("admin", "create_app_token"),
            "adminCreateAppToken"
        );
        assert_eq!(operation_id("", "me"), "me");
    }

    #[test]
    fn an_error_example_is_the_error_the_description_names() {
        let s = sample_errors();
        let ex = error_example(&s, 403, "GAERR009 not yours").unwrap();
        assert_eq!(ex["code"], "GAERR009");
        assert_eq!(ex["statusCode"], 403);
        let ex = error_example(&s, 404, "anything").unwrap();
        assert_eq!(ex["statusCode"], 404);
        assert!(error_example(&s, 418, "teapot").is_none());
    }
}
