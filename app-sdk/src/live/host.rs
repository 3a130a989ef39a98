//! What live updates need from the app, and nothing more: its context, its token, a way to read
//! its app data again, and (standalone) the stored database to watch. The app implements it; the
//! hub holds it weakly, so live updates never keep an app alive on their own.

use crate::{
    error::Error,
    types::{ListFilter, Page},
};
use appframe_protocol::{AppData, LocalContext};
use std::{future::Future, pin::Pin, rc::Rc};

/// A future of the app's, as live updates await it.
pub(crate) type HostFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + 'a>>;

/// The app as seen by live updates.
pub(crate) trait LiveHost {
    /// The current context (API host, item, permission, features of the host).
    fn context(&self) -> LocalContext;
    /// The app token (cached; asked from the host when missing).
    fn token(self: Rc<Self>) -> HostFuture<'static, String>;
    /// Drops `token` from the cache (the socket was closed for an expired token).
    fn invalidate_token(&self, token: &str);
    /// One page of the app data visible to the user (refetching a merged list).
    fn list_app_data(self: Rc<Self>, filter: ListFilter) -> HostFuture<'static, Page<AppData>>;
    /// Standalone: the `localStorage` key of the database (`None` when remote or in memory).
    fn storage_key(&self) -> Option<String>;
    /// Standalone: reads the stored database again (another tab wrote it).
    fn reload(&self) -> Result<(), Error>;
}
