//! The chat-bot route's wire format: `POST /app-items/:itemId/chat-bot?gptVersion=&temperature=`
//! with a body of messages, answered by `{completion, model}` (Graasp's OpenAI proxy).

use crate::error::ProtocolError;
use serde::{Deserialize, Serialize};

/// Lowest `temperature` accepted.
pub const MIN_TEMPERATURE: f64 = 0.0;
/// Highest `temperature` accepted.
pub const MAX_TEMPERATURE: f64 = 2.0;
/// `temperature` when the query has none.
pub const DEFAULT_TEMPERATURE: f64 = 1.0;

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ChatBotRole {
    /// Instructions to the model.
    System,
    /// The app's user.
    User,
    /// An earlier answer of the model.
    Assistant,
}

impl ChatBotRole {
    /// Wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChatBotRole::System => "system",
            ChatBotRole::User => "user",
            ChatBotRole::Assistant => "assistant",
        }
    }
}

/// One message of the conversation (`ChatBotMessage` of `@graasp/sdk`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatBotMessage {
    /// Who wrote it.
    pub role: ChatBotRole,
    /// The text.
    pub content: String,
}

/// Query of the chat-bot route.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatBotQuery {
    /// The model asked for; one the server does not allow falls back to its default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpt_version: Option<String>,
    /// Sampling temperature, 0–2 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
}

impl ChatBotQuery {
    /// The temperature to use: the query's within 0–2, else 1; out of range is an error.
    pub fn temperature(&self) -> Result<f64, ProtocolError> {
        match self.temperature {
            None => Ok(DEFAULT_TEMPERATURE),
            Some(t) if (MIN_TEMPERATURE..=MAX_TEMPERATURE).contains(&t) => Ok(t),
            Some(t) => Err(ProtocolError::Invalid {
                field: "temperature",
                reason: format!("must be between {MIN_TEMPERATURE} and {MAX_TEMPERATURE}, got {t}"),
            }),
        }
    }
}

/// Checks a request body: at least one message.
pub fn validate_messages(messages: &[ChatBotMessage]) -> Result<(), ProtocolError> {
    if messages.is_empty() {
        return Err(ProtocolError::Invalid {
            field: "body",
            reason: "must hold at least one message".into(),
        });
    }
    Ok(())
}

/// The answer: the model's text (`null` when it gave none) and the model that answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatBotAnswer {
    /// The completion.
    pub completion: Option<String>,
    /// The model used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn temperature_defaults_to_one_and_is_bounded_to_zero_two() {
        let q = |t| ChatBotQuery {
            gpt_version: None,
            temperature: t,
        };
        assert_eq!(q(None).temperature().unwrap(), 1.0);
        assert_eq!(q(Some(0.0)).temperature().unwrap(), 0.0);
        assert_eq!(q(Some(2.0)).temperature().unwrap(), 2.0);
        assert!(q(Some(-0.1)).temperature().is_err());
        assert!(q(Some(2.01)).temperature().is_err());
        assert!(q(Some(f64::NAN)).temperature().is_err());
    }

    #[test]
    fn messages_parse_in_graasp_shape_and_need_one() {
        let m: Vec<ChatBotMessage> = serde_json::from_str(
            r#"[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]"#,
        )
        .unwrap();
        assert_eq!(m[1].role, ChatBotRole::User);
        assert!(validate_messages(&m).is_ok());
        assert!(validate_messages(&[]).is_err());
        assert!(
            serde_json::from_str::<Vec<ChatBotMessage>>(r#"[{"role":"robot","content":"x"}]"#)
                .is_err()
        );
        assert!(serde_json::from_str::<Vec<ChatBotMessage>>(r#"[{"role":"user"}]"#).is_err());
    }
}
