//! Files as the browser holds them: [`BlobUrl`] for downloads, and `Blob` ↔ bytes.

use crate::error::{Error, js_text};
use web_sys::Blob;

/// An object URL for downloaded bytes; revoked when dropped (call [`BlobUrl::keep`] to keep it).
#[derive(Debug)]
pub struct BlobUrl {
    url: String,
    revoke: bool,
}

impl BlobUrl {
    /// The `blob:` URL (valid while this value lives).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Keeps the URL valid for the page's lifetime and returns it.
    pub fn keep(mut self) -> String {
        self.revoke = false;
        std::mem::take(&mut self.url)
    }
}

impl Drop for BlobUrl {
    fn drop(&mut self) {
        if self.revoke {
            // Revoking an unknown URL is a no-op; nothing to report.
            let _ = web_sys::Url::revoke_object_url(&self.url);
        }
    }
}

/// A `blob:` URL for `blob`, revoked when the result drops.
pub(crate) fn blob_url(blob: &Blob) -> Result<BlobUrl, Error> {
    let url =
        web_sys::Url::create_object_url_with_blob(blob).map_err(|e| Error::Browser(js_text(&e)))?;
    Ok(BlobUrl { url, revoke: true })
}

/// The bytes of a blob.
#[cfg(feature = "standalone")]
pub(crate) async fn blob_bytes(blob: &Blob) -> Result<Vec<u8>, Error> {
    let buf = wasm_bindgen_futures::JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| Error::Browser(js_text(&e)))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// A blob of `bytes` whose type is `mimetype` made inert.
#[cfg(feature = "standalone")]
pub(crate) fn bytes_blob(bytes: &[u8], mimetype: &str) -> Result<Blob, Error> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(&crate::inert::inert_type(mimetype));
    Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
        .map_err(|e| Error::Browser(js_text(&e)))
}
