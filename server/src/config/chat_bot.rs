//! `[chat_bot]`: the model backend behind `POST /app-items/:itemId/chat-bot`. Absent, the route
//! answers 503 `AFERR034`; nothing is ever called that the operator did not configure.
//!
//! ```toml
//! [chat_bot]
//! backend = "openai"                      # any OpenAI-compatible chat-completions endpoint
//! base_url = "https://api.openai.com/v1"  # POST {base_url}/chat/completions
//! api_key_env = "OPENAI_API_KEY"          # the key is read from this variable at start-up
//! default_model = "gpt-5-nano"
//! models = ["gpt-5-nano", "gpt-4o-mini"]  # what apps may ask for with ?gptVersion=
//! timeout_secs = 30
//! member_per_minute = 10                  # bounds, per server instance
//! item_per_minute = 60
//! member_daily_requests = 200
//! max_body_bytes = 65536
//! ```
//!
//! `backend = "dev"` is an offline stand-in for demos and tests: deterministic answers, no
//! network, used only when written in the file.

use super::{ConfigError, origin_of};
use serde::{Deserialize, Serialize};

fn default_timeout() -> u64 {
    30
}
fn default_member_per_minute() -> u32 {
    10
}
fn default_item_per_minute() -> u32 {
    60
}
fn default_member_daily() -> u32 {
    200
}
fn default_max_body() -> usize {
    64 * 1024
}

/// Which kind of backend answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatBotBackendKind {
    /// An OpenAI-compatible `POST {base_url}/chat/completions`.
    Openai,
    /// The offline development backend (deterministic, no network).
    Dev,
}

/// `[chat_bot]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatBotConfig {
    /// The backend kind.
    pub backend: ChatBotBackendKind,
    /// `openai`: the API base, e.g. `https://api.openai.com/v1` (`/chat/completions` is added).
    #[serde(default)]
    pub base_url: Option<String>,
    /// `openai`: the environment variable holding the API key (sent as `Bearer`); none for an
    /// endpoint without auth. The key itself never goes in the file.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// The model used when the app asks for none, or for one not in `models`.
    pub default_model: String,
    /// Models apps may ask for with `?gptVersion=` (the default is always allowed).
    #[serde(default)]
    pub models: Vec<String>,
    /// Seconds the upstream call may take before it is abandoned (504 `AFERR036`).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Requests one member may make a minute (also the burst); past it 429 `AFERR037` with
    /// `Retry-After`. Counted per server instance, as all bounds here.
    #[serde(default = "default_member_per_minute")]
    pub member_per_minute: u32,
    /// Requests one item's members together may make a minute (also the burst); 429 `AFERR037`.
    #[serde(default = "default_item_per_minute")]
    pub item_per_minute: u32,
    /// Requests one member may make a UTC day; past it 429 `AFERR038`, `Retry-After` until
    /// midnight UTC.
    #[serde(default = "default_member_daily")]
    pub member_daily_requests: u32,
    /// Largest request body (the messages), in bytes; past it 413.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
}

impl ChatBotConfig {
    /// The model to use for what the app asked: an allowed one as asked, else the default.
    pub fn model_for(&self, asked: Option<&str>) -> &str {
        asked
            .and_then(|m| self.models.iter().find(|a| *a == m))
            .unwrap_or(&self.default_model)
    }

    /// Checks what TOML types cannot express.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(format!("[chat_bot] {m}")));
        if self.default_model.trim().is_empty() {
            return bad("default_model must not be empty".into());
        }
        if self.timeout_secs == 0 {
            return bad("timeout_secs must be positive".into());
        }
        if self.member_per_minute == 0 || self.item_per_minute == 0 || self.max_body_bytes == 0 {
            return bad(
                "member_per_minute, item_per_minute and max_body_bytes must be positive".into(),
            );
        }
        match self.backend {
            ChatBotBackendKind::Dev => {
                if self.base_url.is_some() || self.api_key_env.is_some() {
                    return bad("the dev backend takes no base_url or api_key_env".into());
                }
            }
            ChatBotBackendKind::Openai => {
                let Some(url) = &self.base_url else {
                    return bad("backend \"openai\" needs base_url".into());
                };
                if origin_of(url).is_none() {
                    return bad(format!("base_url {url:?} must be an http(s) URL"));
                }
                if let Some(var) = &self.api_key_env
                    && var.trim().is_empty()
                {
                    return bad("api_key_env must name a variable".into());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn openai() -> ChatBotConfig {
        ChatBotConfig {
            backend: ChatBotBackendKind::Openai,
            base_url: Some("http://127.0.0.1:9/v1".into()),
            api_key_env: Some("KEY".into()),
            default_model: "small".into(),
            models: vec!["small".into(), "large".into()],
            timeout_secs: 5,
            member_per_minute: 10,
            item_per_minute: 60,
            member_daily_requests: 200,
            max_body_bytes: 1024,
        }
    }

    #[test]
    fn an_allowed_model_is_used_and_anything_else_falls_back() {
        let c = openai();
        assert_eq!(c.model_for(Some("large")), "large");
        assert_eq!(c.model_for(Some("gpt-9")), "small");
        assert_eq!(c.model_for(None), "small");
    }

    #[test]
    fn the_checks_refuse_what_cannot_work() {
        assert!(openai().validate().is_ok());
        let mut c = openai();
        c.base_url = None;
        assert!(c.validate().is_err());
        let mut c = openai();
        c.base_url = Some("ftp://x".into());
        assert!(c.validate().is_err());
        let mut c = openai();
        c.timeout_secs = 0;
        assert!(c.validate().is_err());
        let mut c = openai();
        c.member_per_minute = 0;
        assert!(c.validate().is_err());
        let mut c = openai();
        c.default_model = " ".into();
        assert!(c.validate().is_err());
        let mut c = openai();
        c.backend = ChatBotBackendKind::Dev;
        assert!(c.validate().is_err(), "dev with a base_url");
        c.base_url = None;
        c.api_key_env = None;
        assert!(c.validate().is_ok());
    }
}
