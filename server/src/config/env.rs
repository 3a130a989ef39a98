//! The environment overlay: every `[server]` key from `APPFRAME_<KEY>`, one loop over
//! [`SERVER_KEYS`] (a table, not a block per key).

use super::{Config, ConfigError, SERVER_KEYS, ServerConfig};

impl Config {
    /// Overlays environment variables: every `[server]` key `k` from `APPFRAME_<K>` (e.g.
    /// `APPFRAME_ITEM_DATA_ROWS=500`, `APPFRAME_FRAME_ANCESTORS='["https://lms.example.org"]'`),
    /// and `database_url` also from `DATABASE_URL`. A value is read as TOML (numbers, booleans,
    /// arrays), else as a string; booleans also take 1/0, yes/no, on/off. A value the key
    /// cannot take is an error naming the variable.
    pub fn try_apply_env(&mut self) -> Result<(), ConfigError> {
        self.apply_env_from(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// [`Config::try_apply_env`] with the variables read by `var` (tests pass a map).
    pub fn apply_env_from(
        &mut self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let env_error = |name: &str, message: String| ConfigError::Env {
            name: name.to_owned(),
            message,
        };
        let mut table = toml::Table::try_from(&self.server)
            .map_err(|e| env_error("APPFRAME_*", e.to_string()))?;
        for key in SERVER_KEYS {
            let name = format!("APPFRAME_{}", key.to_ascii_uppercase());
            let found = var(&name).map(|v| (name.clone(), v)).or_else(|| {
                (*key == "database_url")
                    .then(|| var("DATABASE_URL").map(|v| ("DATABASE_URL".to_owned(), v)))
                    .flatten()
            });
            let Some((name, raw)) = found else {
                continue;
            };
            // Each reading the key may take, most specific first; the first the key accepts wins.
            let mut readings = Vec::new();
            if let Ok(t) = format!("v = {raw}").parse::<toml::Table>() {
                readings.extend(t.get("v").cloned());
            }
            match raw.as_str() {
                "1" | "yes" | "on" => readings.push(toml::Value::Boolean(true)),
                "0" | "no" | "off" => readings.push(toml::Value::Boolean(false)),
                _ => {}
            }
            readings.push(toml::Value::String(raw.clone()));
            let mut first_error = None;
            let mut taken = false;
            for value in readings {
                let mut candidate = table.clone();
                candidate.insert((*key).to_owned(), value);
                match candidate.clone().try_into::<ServerConfig>() {
                    Ok(_) => {
                        table = candidate;
                        taken = true;
                        break;
                    }
                    Err(e) => {
                        first_error.get_or_insert(e.message().to_owned());
                    }
                }
            }
            if !taken {
                return Err(env_error(
                    &name,
                    format!(
                        "cannot use {raw:?} for server.{key}: {}",
                        first_error.unwrap_or_default()
                    ),
                ));
            }
        }
        self.server = table
            .try_into::<ServerConfig>()
            .map_err(|e| env_error("APPFRAME_*", e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::*;
    use std::path::PathBuf;

    #[test]
    fn every_server_key_can_be_set_from_the_environment() {
        let mut c = Config::demo();
        c.server.database_url = Some("postgres://x".into());
        c.server.files_url = Some("s3://bucket/prefix".into());
        c.server.jwt_secret = Some("s".into());
        c.server.host_dir = Some("h".into());
        c.server.apps_dir = Some("a".into());
        c.server.apps_addr = Some("127.0.0.1:1".into());
        let table = toml::Table::try_from(&c.server).unwrap();
        let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
        let mut listed = SERVER_KEYS.to_vec();
        keys.sort_unstable();
        listed.sort_unstable();
        assert_eq!(keys, listed, "SERVER_KEYS must name every [server] key");
    }

    #[test]
    fn environment_values_are_read_as_the_key_takes_them() {
        let env: std::collections::HashMap<&str, &str> = [
            ("APPFRAME_ITEM_DATA_ROWS", "500"),
            ("APPFRAME_DEV", "off"),
            ("APPFRAME_ALLOW_DEV_LOGIN_ON_NETWORK", "1"),
            ("APPFRAME_JWT_SECRET", "12345"),
            ("APPFRAME_DATA_DIR", "/srv/appframe"),
            ("APPFRAME_FRAME_ANCESTORS", r#"["https://lms.example.org"]"#),
            ("DATABASE_URL", "postgres://db/appframe"),
        ]
        .into_iter()
        .collect();
        let mut c = Config::demo();
        c.apply_env_from(|n| env.get(n).map(|v| (*v).to_owned()))
            .unwrap();
        let s = &c.server;
        assert_eq!(s.item_data_rows, 500);
        assert!(!s.dev);
        assert!(s.allow_dev_login_on_network);
        assert_eq!(s.jwt_secret.as_deref(), Some("12345"));
        assert_eq!(s.data_dir, PathBuf::from("/srv/appframe"));
        assert_eq!(
            s.frame_ancestors,
            vec!["https://lms.example.org".to_owned()]
        );
        assert_eq!(s.database_url.as_deref(), Some("postgres://db/appframe"));
        // The APPFRAME_ name wins over the bare one.
        let mut c = Config::demo();
        c.apply_env_from(|n| match n {
            "APPFRAME_DATABASE_URL" => Some("postgres://a".into()),
            "DATABASE_URL" => Some("postgres://b".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.server.database_url.as_deref(), Some("postgres://a"));
    }

    #[test]
    fn an_environment_value_the_key_cannot_take_names_the_variable() {
        let mut c = Config::demo();
        let before = c.clone();
        let e = c
            .apply_env_from(|n| (n == "APPFRAME_TOKEN_TTL_SECS").then(|| "soon".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("APPFRAME_TOKEN_TTL_SECS"), "{e}");
        assert!(e.contains("server.token_ttl_secs"), "{e}");
        assert_eq!(c, before, "nothing is applied from a failed overlay");
    }
}
