//! The standalone backend: the page is opened alone, and an in-browser mock of the server (its
//! rules and its database) answers instead, persisted in `localStorage` or kept in memory.

pub(crate) mod backend;
pub(crate) mod browser;
pub(crate) mod chat_bot;
pub(crate) mod db;
pub(crate) mod kv;
pub(crate) mod page;
pub(crate) mod storage;
