//! File uploads and downloads of app data and app settings: their routers, and the deletion of
//! the bytes of deleted rows and items.
//!
//! Uploads (`files_upload.rs`) are multipart and go to object storage as they arrive, within the
//! file size limit and the file quotas. Downloads (`files_download.rs`) answer with a signed,
//! expiring URL as text (never a redirect), and that URL serves the bytes without credentials.
//! Bytes are never held whole in memory.

use crate::{
    AppState,
    error::Result,
    routes::{
        files_download::{download_app_data, download_app_setting, file_preflight, serve_file},
        files_upload::{upload_app_data, upload_app_setting},
    },
};
use appframe_protocol::routes::{
    PATH_APP_DATA_DOWNLOAD, PATH_APP_DATA_UPLOAD, PATH_APP_SETTINGS_DOWNLOAD,
    PATH_APP_SETTINGS_UPLOAD,
};
use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};
use object_store::path::Path as ObjectPath;
use uuid::Uuid;

/// Multipart overhead allowed on top of the file limit (boundaries, headers, `name` field).
const MULTIPART_SLACK: usize = 64 * 1024;

/// Upload and download routes under `/app-items` (CORS applies).
pub fn app_router(state: AppState) -> Router {
    let limit = state
        .config()
        .server
        .max_file_bytes
        .saturating_add(MULTIPART_SLACK);
    Router::new()
        .route(
            PATH_APP_DATA_UPLOAD,
            post(upload_app_data).layer(DefaultBodyLimit::max(limit)),
        )
        .route(
            PATH_APP_SETTINGS_UPLOAD,
            post(upload_app_setting).layer(DefaultBodyLimit::max(limit)),
        )
        .route(PATH_APP_DATA_DOWNLOAD, get(download_app_data))
        .route(PATH_APP_SETTINGS_DOWNLOAD, get(download_app_setting))
        .with_state(state)
}

/// The credential-less signed file route `/files/{token}`.
pub fn public_router(state: AppState) -> Router {
    Router::new()
        .route("/files/{token}", get(serve_file).options(file_preflight))
        .with_state(state)
}

/// Deletes the file of a deleted row, if any (errors are logged: the row is already gone).
pub async fn delete_row_file(state: &AppState, row: Uuid) {
    let rec = match state.store().get_file(row).await {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, %row, "cannot look up the file of a deleted row");
            return;
        }
    };
    if let Err(e) = state
        .files()
        .delete(&ObjectPath::from(rec.path.as_str()))
        .await
        && !matches!(e, object_store::Error::NotFound { .. })
    {
        tracing::error!(error = %e, path = %rec.path, "cannot delete a file");
    }
    if let Err(e) = state.store().delete_file(row).await {
        tracing::error!(error = %e, %row, "cannot delete file metadata");
    }
}

/// Deletes the bytes of every file of an item (before the item itself is deleted).
pub async fn delete_item_files(state: &AppState, item: Uuid) -> Result<()> {
    for rec in state.store().item_files(item).await? {
        match state
            .files()
            .delete(&ObjectPath::from(rec.path.as_str()))
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
