//! Live updates: the socket hub, the frames it reads and writes, merged lists.

pub(crate) mod hub;
