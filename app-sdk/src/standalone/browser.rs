//! The standalone backend in a page: its item, origin and store taken from the window, the
//! browser's clock and random ids, and files as `Blob`s.

use super::{
    backend::{Sources, Standalone},
    db::FileMeta,
    storage::{Backing, LocalStore, MemoryStore},
};
use crate::{
    blob::{blob_bytes, bytes_blob},
    config::{DEFAULT_STANDALONE_ITEM_ID, StandaloneConfig},
    env::{item_id_from_search, window},
    error::Error,
    wire::text::{concat, time_of},
};
use appframe_protocol::{AppData, AppSetting, ItemId, RowId};
use time::OffsetDateTime;
use web_sys::Blob;

/// Now, from the browser clock (the `time` crate has no clock on wasm32-unknown-unknown).
fn browser_now() -> OffsetDateTime {
    // Whole milliseconds, as `Date.now()` gives them.
    let ms = js_sys::Date::now() as i64;
    time_of(
        ms.div_euclid(1000),
        (ms.rem_euclid(1000) * 1_000_000) as u32,
    )
    .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A random v4 id for a standalone row from `Math.random` (52 random bits per call): the ids
/// only need to be unique within one browser's mock database, not unguessable.
fn browser_id() -> RowId {
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(4) {
        let n = (js_sys::Math::random() * 4_294_967_296.0) as u32;
        chunk.copy_from_slice(&n.to_le_bytes());
    }
    RowId(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

/// The backend of app `key` in this page: the item from `?itemId=` (else the seed's, else
/// [`DEFAULT_STANDALONE_ITEM_ID`]), stored in `localStorage` unless the seed says memory.
pub(crate) fn open_in_page(key: &str, seed: StandaloneConfig) -> Result<Standalone, Error> {
    let w = window()?;
    let loc = w.location();
    let item_id = item_id_from_search(&loc.search().unwrap_or_default())
        .or(seed.item_id)
        .unwrap_or(DEFAULT_STANDALONE_ITEM_ID);
    let origin = loc.origin().unwrap_or_default();
    let app_url = concat(&[origin.as_str(), &loc.pathname().unwrap_or_default()]);
    let local = if seed.persist {
        // Opaque origins (sandboxed iframes, some file:// pages) have no localStorage:
        // fall back to memory so the page still works.
        w.local_storage().ok().flatten()
    } else {
        None
    };
    let store = match local {
        Some(s) => Backing::Local(LocalStore(s)),
        None => Backing::Memory(MemoryStore::default()),
    };
    open_with(key, seed, store, item_id, &origin, app_url)
}

/// The backend of app `key` on an explicit store, item and page origin.
pub(crate) fn open_with(
    key: &str,
    seed: StandaloneConfig,
    store: Backing,
    item_id: ItemId,
    origin: &str,
    app_url: String,
) -> Result<Standalone, Error> {
    Standalone::open(
        store,
        key,
        item_id,
        seed,
        app_url,
        concat(&[origin, "/api"]),
        Sources {
            clock: Box::new(browser_now),
            ids: Box::new(browser_id),
        },
    )
}

/// A blob's name and type as the mock stores them.
fn file_meta_of(blob: &Blob, name: &str) -> FileMeta {
    let ty = blob.type_();
    FileMeta {
        name: name.to_owned(),
        mimetype: if ty.is_empty() {
            "application/octet-stream".into()
        } else {
            ty
        },
    }
}

impl Standalone {
    /// Stores `file` as an app-data row of type `file`.
    pub(crate) async fn upload_app_data_blob(
        &self,
        file: &Blob,
        name: &str,
    ) -> Result<AppData, Error> {
        let bytes = blob_bytes(file).await?;
        self.upload_app_data_file(&file_meta_of(file, name), &bytes)
    }

    /// Stores `file` as an app setting named `name` (default `file`).
    pub(crate) async fn upload_app_setting_blob(
        &self,
        file: &Blob,
        file_name: &str,
        name: Option<&str>,
    ) -> Result<AppSetting, Error> {
        let bytes = blob_bytes(file).await?;
        self.upload_app_setting_file(name, &file_meta_of(file, file_name), &bytes)
    }

    /// The file of an app-data row as a blob of an inert type.
    pub(crate) fn app_data_file_blob(&self, id: RowId) -> Result<Blob, Error> {
        let (meta, bytes) = self.download_app_data_file(id)?;
        bytes_blob(&bytes, &meta.mimetype)
    }

    /// The file of an app setting as a blob of an inert type.
    pub(crate) fn app_setting_file_blob(&self, id: RowId) -> Result<Blob, Error> {
        let (meta, bytes) = self.download_app_setting_file(id)?;
        bytes_blob(&bytes, &meta.mimetype)
    }
}
