//! The standalone chat bot: Graasp's mock answer (`mockServer`), checked like the server
//! checks a request, so an app developed alone sees the same validation errors.

use crate::{error::Error, standalone::db::invalid};
use appframe_protocol::{ChatBotAnswer, ChatBotMessage, ChatBotQuery, chat_bot::validate_messages};

/// What Graasp's mock server answers to every chat-bot request.
pub(crate) const MOCK_COMPLETION: &str = "biiip boop I am a chatbot";
/// The model Graasp's mock names.
pub(crate) const MOCK_MODEL: &str = "fake-gpt";

/// The mock's answer, or the server's 400 for an invalid request.
pub(crate) fn answer(
    messages: &[ChatBotMessage],
    options: &ChatBotQuery,
) -> Result<ChatBotAnswer, Error> {
    options.temperature().map_err(invalid)?;
    validate_messages(messages).map_err(invalid)?;
    Ok(ChatBotAnswer {
        completion: Some(MOCK_COMPLETION.to_owned()),
        model: Some(MOCK_MODEL.to_owned()),
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::ChatBotRole;

    #[test]
    fn the_mock_answers_like_graasps_and_refuses_what_the_server_refuses() {
        let hi = [ChatBotMessage {
            role: ChatBotRole::User,
            content: "hi".into(),
        }];
        let a = answer(&hi, &ChatBotQuery::default()).unwrap();
        assert_eq!(a.completion.as_deref(), Some(MOCK_COMPLETION));
        assert_eq!(a.model.as_deref(), Some(MOCK_MODEL));
        assert_eq!(
            answer(&[], &ChatBotQuery::default()).unwrap_err().code(),
            "Http"
        );
        let hot = ChatBotQuery {
            gpt_version: None,
            temperature: Some(3.0),
        };
        assert!(answer(&hi, &hot).is_err());
    }
}
