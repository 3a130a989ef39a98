//! TOML text to [`Config`]: errors carry the line, the column and the dotted key, so an
//! operator does not have to count columns.

use super::{Config, ConfigError};

/// Converts a byte offset into a 1-based (line, column).
fn line_col(s: &str, offset: usize) -> (usize, usize) {
    let before = &s[..offset.min(s.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

/// The dotted key (`server.token_ttl_secs`, `apps.url`) of the line that holds `offset`: a
/// `key = value` line under the last table header above it, or a table header itself.
fn key_at(s: &str, offset: usize) -> Option<String> {
    let before = s.get(..offset.min(s.len()))?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = s.get(line_start..)?.lines().next()?;
    let header = |h: &str| {
        h.trim_start_matches('[')
            .split(']')
            .next()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    if line.trim_start().starts_with('[') {
        return header(line.trim());
    }
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches(['"', '\'']);
    if key.starts_with('#') {
        return None;
    }
    let table = s
        .get(..line_start)?
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .and_then(header);
    match (table, key) {
        (Some(t), "") => Some(t),
        (Some(t), k) => Some(format!("{t}.{k}")),
        (None, "") => None,
        (None, k) => Some(k.to_owned()),
    }
}

impl Config {
    /// Parses a TOML string; errors carry the line and column.
    pub fn from_toml_str(s: &str) -> Result<Config, ConfigError> {
        toml::from_str::<Config>(s).map_err(|e| match e.span() {
            Some(span) => {
                let (line, column) = line_col(s, span.start);
                let mut message = e.message().to_owned();
                // toml says nothing for some characters (a control character in a comment).
                if message.trim().is_empty() {
                    message = match s.get(span.start..).and_then(|r| r.chars().next()) {
                        Some(c) => format!("unexpected character {c:?}"),
                        None => "unexpected end of the file".to_owned(),
                    };
                }
                // A value of the wrong type is reported as "invalid type: ..., expected u64":
                // say which key, or the operator has to count columns.
                if let Some(key) = key_at(s, span.start) {
                    message.push_str(&format!(" (at `{key}`)"));
                }
                ConfigError::Parse {
                    line,
                    column,
                    message,
                }
            }
            None => ConfigError::ParseNoPos(e.message().to_owned()),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::*;

    /// Found by `fuzz_config_text`: toml gives no message for a control character in a
    /// comment, so the error said only where.
    #[test]
    fn a_control_character_in_a_comment_is_named() {
        let e = Config::from_toml_str("# ok\n#\0 comment\n").unwrap_err();
        assert!(matches!(&e, ConfigError::Parse { line: 2, .. }), "{e:?}");
        assert!(e.to_string().contains("unexpected character '\\0'"), "{e}");
    }

    /// Found by `fuzz_config_mutated_key_is_named`: a value of the wrong type named only its
    /// position and the expected type, not the key.
    #[test]
    fn a_value_of_the_wrong_type_names_its_key() {
        let text = DEMO_TOML.replace("dev = true", "dev = true\ntoken_ttl_secs = \"soon\"");
        let e = Config::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("`server.token_ttl_secs`"), "{e}");
        let text = DEMO_TOML.replace("permission = \"read\"", "permission = 3");
        let e = Config::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("`memberships.permission`"), "{e}");
    }

    #[test]
    fn a_syntax_error_reports_its_line_and_column() {
        let s = "[server]\naddr = \"x\"\npublic_url = = 3\n";
        match Config::from_toml_str(s) {
            Err(ConfigError::Parse { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unknown_field_reports_its_line() {
        let s = "[server]\naddr = \"x\"\npublic_url = \"http://a\"\n\n[[apps]]\nname = \"a\"\nkey = \"1d85bd0c-7c60-49cd-9775-9898fcb16668\"\nurl = \"http://a/\"\npublisher = \"p\"\ncolour = 1\n";
        let e = Config::from_toml_str(s).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("colour"), "{text}");
        match e {
            ConfigError::Parse { line, .. } => assert!((5..=10).contains(&line), "{line}"),
            other => panic!("{other:?}"),
        }
    }
}
