//! The app's protocol-v2 messages to the host: ready, failure, close, display mode, links and
//! liveness. Each is sent only to a host that announced v2 (and the feature, for requests that
//! need an answer); a v1 host sees none of them.

use super::backend::Embedded;
use crate::{embedded::peer::Answer, error::Error, wire::message as wire};
use appframe_protocol::{
    DisplayMode, FailurePayload, MessageKind,
    lifecycle::feature::{DISPLAY_MODE, OPEN_LINK, PING},
};

impl Embedded {
    /// Sends a message without answer (POST_READY, POST_FAILURE, REQUEST_CLOSE) to a v2 host;
    /// to a v1 host nothing (it would not understand it, and has nothing to wait for).
    fn tell(&self, text: impl FnOnce() -> Result<String, Error>) -> Result<(), Error> {
        if !self.peer.speaks(None) {
            return Ok(());
        }
        let channel = self.channel.borrow().clone();
        channel.post(&text()?)
    }

    /// POST_READY.
    pub(crate) fn ready(&self) -> Result<(), Error> {
        self.tell(|| Ok(wire::bare(MessageKind::PostReady, self.item_id)))
    }

    /// POST_FAILURE with `{code, message}`.
    pub(crate) fn fail(&self, code: &str, message: &str) -> Result<(), Error> {
        let error = FailurePayload {
            code: code.to_owned(),
            message: message.to_owned(),
        };
        self.tell(|| wire::post_failure(self.item_id, &error))
    }

    /// REQUEST_CLOSE.
    pub(crate) fn request_close(&self) -> Result<(), Error> {
        self.tell(|| Ok(wire::bare(MessageKind::RequestClose, self.item_id)))
    }

    /// Sends a request that needs `feature` and waits for its answer.
    async fn ask(
        &self,
        feature: &'static str,
        kind: MessageKind,
        text: String,
        on_timeout: Error,
    ) -> Answer {
        if !self.peer.speaks(Some(feature)) {
            return Err(Error::Unsupported(feature));
        }
        let channel = self.channel.borrow().clone();
        let post = |t: &str| channel.post(t);
        self.peer.request(post, kind, &text, on_timeout).await
    }

    /// REQUEST_DISPLAY_MODE: the granted mode.
    pub(crate) async fn request_display_mode(
        &self,
        mode: DisplayMode,
    ) -> Result<DisplayMode, Error> {
        let text = wire::request_display_mode(self.item_id, mode);
        let kind = MessageKind::RequestDisplayMode;
        let granted = self
            .ask(DISPLAY_MODE, kind, text, Error::DisplayModeTimeout)
            .await?;
        Ok(granted.unwrap_or(mode))
    }

    /// OPEN_LINK (the caller checked the scheme).
    pub(crate) async fn open_link(&self, url: &str) -> Result<(), Error> {
        let text = wire::open_link(self.item_id, url)?;
        self.ask(OPEN_LINK, MessageKind::OpenLink, text, Error::LinkTimeout)
            .await
            .map(drop)
    }

    /// PING: Ok when the host answers PONG in time, else `HostLost`.
    pub(crate) async fn ping(&self) -> Result<(), Error> {
        let text = wire::bare(MessageKind::Ping, self.item_id);
        self.ask(PING, MessageKind::Ping, text, Error::HostLost)
            .await
            .map(drop)
    }
}
