//! Property tests ("fuzzing" on stable Rust) of the config parser: TOML text → `Config` →
//! `validate`. Arbitrary text and the demo config with characters changed parse or fail with a
//! message and a position inside the text; the demo config with one key removed, retyped or
//! given an odd value is valid or refused with a message that names that key. Never a panic.
//! `cargo xtask fuzz` runs them with many more cases (`APPFRAME_FUZZ_CASES`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../../protocol/tests/strategies/mod.rs"]
mod strategies;

use appframe_server::config::{Config, ConfigError, DEMO_TOML, SERVER_KEYS};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use strategies::*;
use toml::Value;

/// The arrays of tables, their keys, and how an error message calls one entry.
const ENTRIES: &[(&str, &str, &[&str])] = &[
    ("publishers", "publisher", &["name", "origins"]),
    (
        "apps",
        "app",
        &[
            "name",
            "key",
            "url",
            "publisher",
            "description",
            "thumbnail",
        ],
    ),
    ("members", "member", &["id", "name", "kind"]),
    (
        "items",
        "item",
        &["id", "name", "app", "description", "lang", "settings"],
    ),
    (
        "memberships",
        "membership",
        &["member", "item", "permission"],
    ),
    ("api_keys", "api key", &["name", "key", "scopes"]),
];

/// A TOML value of any type, with the edge values of each.
fn toml_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        text().prop_map(Value::String),
        uuid_text().prop_map(Value::String),
        select(
            &[
                "http://127.0.0.1:9",
                "https://x.example",
                "0.0.0.0:80",
                "",
                "local"
            ][..]
        )
        .prop_map(|s| Value::String(s.to_owned())),
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(1),
            Just(i64::MAX),
            any::<i64>(),
            0i64..100_000
        ]
        .prop_map(Value::Integer),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Boolean),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..3)
                .prop_map(|kv| Value::Table(kv.into_iter().collect())),
        ]
    })
}

/// One change to the demo config: where, which key, and what happens to it.
#[derive(Debug, Clone)]
struct Mutation {
    /// `None`: `[server]`; else an entry of one of [`ENTRIES`].
    entry: Option<(usize, Index)>,
    key: String,
    /// `None` removes the key.
    value: Option<Value>,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let server_key = prop_oneof![
        8 => select(SERVER_KEYS).prop_map(str::to_owned),
        1 => "[a-z_]{1,12}",
    ];
    let entry = (0..ENTRIES.len(), any::<Index>(), any::<Index>()).prop_map(|(t, i, k)| {
        let keys = ENTRIES[t].2;
        (Some((t, i)), keys[k.index(keys.len())].to_owned())
    });
    (
        prop_oneof![server_key.prop_map(|k| (None, k)), entry],
        prop::option::weighted(0.9, toml_value()),
    )
        .prop_map(|((entry, key), value)| Mutation { entry, key, value })
}

/// The demo config with `m` applied, as TOML text (`None` when TOML cannot write it).
fn apply(m: &Mutation) -> Option<String> {
    let mut doc: toml::Table = toml::from_str(DEMO_TOML).unwrap();
    let table = match m.entry {
        None => doc.get_mut("server").and_then(Value::as_table_mut),
        Some((t, i)) => doc
            .get_mut(ENTRIES[t].0)
            .and_then(Value::as_array_mut)
            .and_then(|a| {
                let n = a.len();
                a.get_mut(i.index(n))
            })
            .and_then(Value::as_table_mut),
    };
    if let Some(table) = table {
        match &m.value {
            Some(v) => {
                table.insert(m.key.clone(), v.clone());
            }
            None => {
                table.remove(&m.key);
            }
        }
    }
    toml::to_string(&doc).ok()
}

/// The config error of `text`, if any (parse, then validate).
fn check(text: &str) -> Result<Config, ConfigError> {
    let c = Config::from_toml_str(text)?;
    c.validate()?;
    Ok(c)
}

proptest! {
    #![proptest_config(config(256))]

    /// One key of the demo config removed or given any value: valid, or an error that names
    /// the key (or, for an entry, what the entry is).
    #[test]
    fn fuzz_config_mutated_key_is_named(m in mutation()) {
        let text = apply(&m);
        prop_assume!(text.is_some());
        let text = text.unwrap_or_default();
        if let Err(e) = check(&text) {
            let msg = e.to_string();
            let entry_name = m.entry.map(|(t, _)| ENTRIES[t].1);
            prop_assert!(
                msg.contains(&m.key) || entry_name.is_some_and(|n| msg.contains(n)),
                "{m:?}: the error does not name `{}`: {msg}\n{text}", m.key
            );
        }
    }

    /// Arbitrary text, and the demo config with characters inserted, changed or removed:
    /// a config or an error with a message and a position inside the text.
    #[test]
    fn fuzz_config_text(text in prop_oneof![text(), mutate_text(DEMO_TOML.to_owned())]) {
        match check(&text) {
            Ok(_) => {}
            Err(ConfigError::Parse { line, column, message }) => {
                prop_assert!(!message.trim().is_empty());
                prop_assert!(line >= 1 && line <= text.lines().count() + 1, "line {line}");
                prop_assert!(column >= 1);
            }
            Err(e) => prop_assert!(!e.to_string().trim().is_empty()),
        }
    }
}
