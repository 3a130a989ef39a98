//! The chat bot's model backends: an OpenAI-compatible chat-completions endpoint, or the
//! offline `dev` backend. Built once at start-up from `[chat_bot]`.
//!
//! Failures of the upstream call become 502 `AFERR035` (any error status, an unreadable
//! answer, a refused connection) or 504 `AFERR036` (past `timeout_secs`); the app sees neither
//! the upstream body nor the key, and the log gets the upstream status only.

use crate::{
    config::{ChatBotBackendKind, ChatBotConfig, ConfigError},
    error::{Error, Result},
};
use appframe_protocol::{ChatBotAnswer, ChatBotMessage, ChatBotRole};
use serde::{Deserialize, Serialize};
use std::time::Duration;

mod bounds;
pub use bounds::{Bounds, Refusal};

/// The configured chat bot.
pub struct ChatBot {
    config: ChatBotConfig,
    backend: Backend,
    bounds: Bounds,
}

impl std::fmt::Debug for ChatBot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never prints the key.
        f.debug_struct("ChatBot")
            .field("backend", &self.config.backend)
            .field("default_model", &self.config.default_model)
            .finish_non_exhaustive()
    }
}

enum Backend {
    Dev,
    OpenAi {
        client: reqwest::Client,
        /// `{base_url}/chat/completions`.
        url: String,
        /// The key from `api_key_env`, sent as `Bearer`.
        key: Option<String>,
    },
}

/// The upstream request (the fields every OpenAI-compatible server reads).
#[derive(Serialize)]
struct CompletionRequest<'a> {
    model: &'a str,
    messages: Vec<UpstreamMessage<'a>>,
    temperature: f64,
}

#[derive(Serialize)]
struct UpstreamMessage<'a> {
    role: &'a str,
    content: &'a str,
}

/// What is read of the upstream answer.
#[derive(Deserialize)]
struct CompletionResponse {
    #[serde(default)]
    model: Option<String>,
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
}

/// Longest echo of the user's message in a dev answer, in characters.
const DEV_ECHO_CHARS: usize = 200;

impl ChatBot {
    /// The backend of `config`; reads the API key from the environment (a variable that is
    /// named but unset stops the start, rather than every call failing later).
    pub fn new(config: &ChatBotConfig) -> Result<ChatBot> {
        let backend = match config.backend {
            ChatBotBackendKind::Dev => Backend::Dev,
            ChatBotBackendKind::Openai => {
                let base = config.base_url.as_deref().unwrap_or_default();
                let key = match &config.api_key_env {
                    None => None,
                    Some(var) => Some(std::env::var(var).map_err(|_| {
                        Error::Config(ConfigError::Env {
                            name: var.clone(),
                            message: "[chat_bot] api_key_env names this variable, which is not set"
                                .into(),
                        })
                    })?),
                };
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(config.timeout_secs))
                    // A redirect would carry the request elsewhere; an API endpoint has none.
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))?;
                Backend::OpenAi {
                    client,
                    url: format!("{}/chat/completions", base.trim_end_matches('/')),
                    key,
                }
            }
        };
        Ok(ChatBot {
            config: config.clone(),
            backend,
            bounds: Bounds::new(config),
        })
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &ChatBotConfig {
        &self.config
    }

    /// Its rate limits and daily quota.
    pub fn bounds(&self) -> &Bounds {
        &self.bounds
    }

    /// Asks the backend to continue the conversation with `model` (already resolved through
    /// the allow-list) at `temperature`.
    pub async fn complete(
        &self,
        model: &str,
        temperature: f64,
        messages: &[ChatBotMessage],
    ) -> Result<ChatBotAnswer> {
        match &self.backend {
            Backend::Dev => Ok(dev_answer(model, messages)),
            Backend::OpenAi { client, url, key } => {
                let body = CompletionRequest {
                    model,
                    temperature,
                    messages: messages
                        .iter()
                        .map(|m| UpstreamMessage {
                            role: m.role.as_str(),
                            content: &m.content,
                        })
                        .collect(),
                };
                let mut req = client.post(url).json(&body);
                if let Some(k) = key {
                    req = req.bearer_auth(k);
                }
                let res = req.send().await.map_err(upstream_error)?;
                let status = res.status();
                if !status.is_success() {
                    tracing::warn!(%status, "the chat bot's upstream refused the request");
                    return Err(Error::ChatBotUpstream);
                }
                let parsed: CompletionResponse = res.json().await.map_err(upstream_error)?;
                let first = parsed.choices.into_iter().next().ok_or_else(|| {
                    tracing::warn!("the chat bot's upstream answered without a choice");
                    Error::ChatBotUpstream
                })?;
                Ok(ChatBotAnswer {
                    completion: first.message.content,
                    model: Some(parsed.model.unwrap_or_else(|| model.to_owned())),
                })
            }
        }
    }
}

/// A failed call: a timeout is 504, anything else 502. Only the kind is logged (reqwest's
/// message may name the URL, never the key, but the answer to the app names neither).
fn upstream_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        tracing::warn!("the chat bot's upstream timed out");
        Error::ChatBotTimeout
    } else {
        tracing::warn!(
            connect = e.is_connect(),
            decode = e.is_decode(),
            "the chat bot's upstream call failed"
        );
        Error::ChatBotUpstream
    }
}

/// The dev backend's answer: a fixed text that echoes the last user message, the same for the
/// same input, so a demo or a test can show it without any model service.
fn dev_answer(model: &str, messages: &[ChatBotMessage]) -> ChatBotAnswer {
    let last = messages
        .iter()
        .rev()
        .find(|m| m.role == ChatBotRole::User)
        .map(|m| m.content.chars().take(DEV_ECHO_CHARS).collect::<String>())
        .unwrap_or_default();
    ChatBotAnswer {
        completion: Some(format!("[dev chat bot] You said: {last}")),
        model: Some(model.to_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn msg(role: ChatBotRole, content: &str) -> ChatBotMessage {
        ChatBotMessage {
            role,
            content: content.into(),
        }
    }

    #[test]
    fn the_dev_answer_echoes_the_last_user_message_deterministically() {
        let m = [
            msg(ChatBotRole::System, "be brief"),
            msg(ChatBotRole::User, "first"),
            msg(ChatBotRole::Assistant, "ok"),
            msg(ChatBotRole::User, "second"),
        ];
        let a = dev_answer("small", &m);
        assert_eq!(a, dev_answer("small", &m));
        assert_eq!(
            a.completion.as_deref(),
            Some("[dev chat bot] You said: second")
        );
        assert_eq!(a.model.as_deref(), Some("small"));
        let long = "x".repeat(1000);
        let a = dev_answer("small", &[msg(ChatBotRole::User, &long)]);
        assert_eq!(
            a.completion.unwrap().len(),
            "[dev chat bot] You said: ".len() + DEV_ECHO_CHARS
        );
    }
}
