//! Generators of the property tests ("fuzzing" on stable Rust) of every decoder: arbitrary text
//! and JSON, and near-valid inputs made by mutating valid ones (a key dropped, a value of
//! another type, a character replaced by a multi-byte one...), which reach much deeper into a
//! decoder than random bytes do.
//!
//! Shared by the protocol's, the SDK's and the server's tests through `#[path]`, so that no
//! shipped crate needs a feature or a dependency for it.
#![allow(dead_code, clippy::unwrap_used)]

use appframe_protocol::{
    AccountId, Container, Context, ContextChange, ContextRequest, DisplayMode, FailurePayload,
    HostCapabilities, ItemId, KeyOrigin, LocalContext, Message, MessageKind, ModePayload,
    Permission, TeardownPayload, Theme, ThemeMode, TokenPayload, UrlPayload,
};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// Env var that sets the cases of every property (the long run of `cargo xtask fuzz`).
pub const CASES_VAR: &str = "APPFRAME_FUZZ_CASES";

/// Cases per property: `ci` unless [`CASES_VAR`] asks for another number.
pub fn cases(ci: u32) -> u32 {
    std::env::var(CASES_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(ci)
}

/// A proptest config with [`cases`]`(ci)`.
pub fn config(ci: u32) -> ProptestConfig {
    ProptestConfig {
        cases: cases(ci),
        ..ProptestConfig::default()
    }
}

/// Characters that break hand-written parsers: separators of ids, numbers and timestamps, JSON
/// punctuation, NUL, a line separator, and multi-byte characters (2, 3 and 4 bytes in UTF-8),
/// which catch byte indexes that are not character boundaries.
pub const NASTY: &[char] = &[
    '0', '1', '9', '-', '+', ':', '.', ' ', 'T', 't', 'Z', 'z', '_', 'e', 'E', '"', '\\', '{', '}',
    '[', ']', ',', '/', '\u{0}', '\u{a0}', '\u{2028}', 'é', '€', '😀',
];

/// Arbitrary text: any Unicode, printable ASCII, or runs of [`NASTY`] characters.
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        prop::collection::vec(select(NASTY), 0..30).prop_map(|v| v.into_iter().collect()),
    ]
    .boxed()
}

/// Field names of the protocol's shapes: a mutation that adds one of these hits a real field.
pub const KEYS: &[&str] = &[
    "type",
    "payload",
    "key",
    "origin",
    "token",
    "code",
    "message",
    "apiHost",
    "itemId",
    "accountId",
    "memberId",
    "permission",
    "context",
    "lang",
    "settings",
    "offline",
    "dev",
    "mobile",
    "appframe",
    "version",
    "features",
    "data",
    "visibility",
    "name",
    "id",
    "action",
    "realm",
    "topic",
    "channel",
    "createdAt",
    "updatedAt",
    "item",
    "account",
    "member",
    "creator",
    "request",
    "status",
    "error",
    "body",
    "op",
    "kind",
    "extra",
];

/// An object key: a protocol field name or arbitrary text.
pub fn key() -> impl Strategy<Value = String> {
    prop_oneof![select(KEYS).prop_map(str::to_owned), text()]
}

/// Any JSON value (finite numbers, nesting up to 4 levels).
pub fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        text().prop_map(Value::String),
        uuid_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A JSON object with arbitrary keys and values.
pub fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((key(), json_value()), 0..6).prop_map(|kv| kv.into_iter().collect())
}

/// `s` with up to three characters inserted, replaced or removed.
pub fn mutate_text(s: String) -> BoxedStrategy<String> {
    prop::collection::vec((0..3u8, any::<Index>(), select(NASTY)), 0..4)
        .prop_map(move |ops| {
            let mut chars: Vec<char> = s.chars().collect();
            for (op, at, c) in ops {
                let i = at.index(chars.len() + 1);
                match op {
                    0 => chars.insert(i, c),
                    1 if i < chars.len() => chars[i] = c,
                    2 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ => {}
                }
            }
            chars.into_iter().collect()
        })
        .boxed()
}

/// `valid` (an object) with up to three mutations: a field dropped, a field given another
/// value (any JSON, or its text mutated), a field added; none leaves it valid.
pub fn mutate_object(valid: Value) -> BoxedStrategy<Value> {
    let keys: Vec<String> = valid
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    prop::collection::vec((0..5u8, any::<Index>(), json_value(), key(), text()), 0..4)
        .prop_map(move |ops| {
            let mut out = valid.clone();
            if let Some(o) = out.as_object_mut() {
                for (op, at, v, k, t) in ops {
                    let target = (!keys.is_empty()).then(|| keys[at.index(keys.len())].clone());
                    match (op, target) {
                        (0, Some(f)) => {
                            o.remove(&f);
                        }
                        (1, Some(f)) => {
                            o.insert(f, v);
                        }
                        (2, Some(f)) => {
                            // A string value with one character changed: still a string, maybe no
                            // longer a valid one.
                            if let Some(Value::String(s)) = o.get(&f) {
                                let mut cs: Vec<char> = s.chars().collect();
                                if !cs.is_empty() {
                                    let i = at.index(cs.len());
                                    cs[i] = t.chars().next().unwrap_or('é');
                                }
                                o.insert(f, Value::String(cs.into_iter().collect()));
                            }
                        }
                        (3, _) => {
                            o.insert(k, v);
                        }
                        _ => {}
                    }
                }
            }
            out
        })
        .boxed()
}

/// A UUID.
pub fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

/// An item id.
pub fn item_id() -> impl Strategy<Value = ItemId> {
    uuid().prop_map(ItemId)
}

/// The text of an id: valid in every form a parser may meet (hyphenated, upper case, simple,
/// braced) or nearly valid (truncated, one character changed, empty).
pub fn uuid_text() -> BoxedStrategy<String> {
    (uuid(), 0..7u8, any::<Index>(), select(NASTY))
        .prop_map(|(u, form, at, c)| {
            let h = u.hyphenated().to_string();
            match form {
                0 => h,
                1 => h.to_uppercase(),
                2 => u.simple().to_string(),
                3 => format!("{{{h}}}"),
                4 => h[..at.index(h.len())].to_owned(),
                5 => {
                    let mut cs: Vec<char> = h.chars().collect();
                    let i = at.index(cs.len());
                    cs[i] = c;
                    cs.into_iter().collect()
                }
                _ => String::new(),
            }
        })
        .boxed()
}

fn permission() -> impl Strategy<Value = Permission> {
    select(&[Permission::Read, Permission::Write, Permission::Admin][..])
}

fn context() -> impl Strategy<Value = Context> {
    select(
        &[
            Context::Builder,
            Context::Player,
            Context::Library,
            Context::Analytics,
            Context::Account,
            Context::Auth,
            Context::Home,
            Context::Standalone,
            Context::Unknown,
        ][..],
    )
}

/// Any `LocalContext` for `item_id`.
pub fn local_context(item_id: ItemId) -> BoxedStrategy<LocalContext> {
    (
        text(),
        prop::option::of(uuid().prop_map(AccountId)),
        permission(),
        context(),
        text(),
        json_object(),
        any::<[bool; 3]>(),
        prop::option::of(capabilities()),
    )
        .prop_map(
            move |(api_host, account_id, permission, context, lang, settings, flags, appframe)| {
                LocalContext {
                    api_host,
                    item_id,
                    account_id,
                    permission,
                    context,
                    lang,
                    settings,
                    offline: flags[0],
                    dev: flags[1],
                    mobile: flags[2],
                    appframe,
                }
            },
        )
        .boxed()
}

fn capabilities() -> impl Strategy<Value = HostCapabilities> {
    (any::<u32>(), prop::collection::vec(text(), 0..4)).prop_map(|(version, features)| {
        HostCapabilities {
            version,
            features,
            granted: None,
        }
    })
}

fn context_request() -> impl Strategy<Value = ContextRequest> {
    (key_origin(), prop::option::of(capabilities())).prop_map(|(k, appframe)| ContextRequest {
        key: k.key,
        origin: k.origin,
        appframe,
    })
}

fn display_mode() -> impl Strategy<Value = DisplayMode> {
    prop_oneof![Just(DisplayMode::Inline), Just(DisplayMode::Fullscreen)]
}

fn theme() -> impl Strategy<Value = Theme> {
    (
        prop_oneof![Just(ThemeMode::Light), Just(ThemeMode::Dark)],
        prop::collection::btree_map(text(), text(), 0..4),
    )
        .prop_map(|(mode, vars)| Theme { mode, vars })
}

fn container() -> impl Strategy<Value = Container> {
    (
        prop::option::of(height()),
        prop::option::of(height()),
        display_mode(),
    )
        .prop_map(|(width, max_height, display_mode)| Container {
            width,
            max_height,
            display_mode,
        })
}

fn context_change() -> impl Strategy<Value = ContextChange> {
    (
        prop::option::of(text()),
        prop::option::of(theme()),
        prop::option::of(permission()),
        prop::option::of(context()),
        prop::option::of(container()),
    )
        .prop_map(
            |(lang, theme, permission, context, container)| ContextChange {
                lang,
                theme,
                permission,
                context,
                container,
            },
        )
}

/// The v2 messages (protocol/src/lifecycle.rs).
fn v2_message(item_id: ItemId) -> BoxedStrategy<Message> {
    prop_oneof![
        context_change().prop_map(move |change| Message::ContextChanged { item_id, change }),
        Just(Message::PostReady { item_id }),
        failure().prop_map(move |error| Message::PostFailure { item_id, error }),
        text().prop_map(move |reason| Message::Teardown {
            item_id,
            payload: TeardownPayload { reason },
        }),
        Just(Message::TeardownAck { item_id }),
        Just(Message::RequestClose { item_id }),
        display_mode().prop_map(move |mode| Message::RequestDisplayMode {
            item_id,
            payload: ModePayload { mode },
        }),
        display_mode().prop_map(move |mode| Message::RequestDisplayModeSuccess {
            item_id,
            payload: ModePayload { mode },
        }),
        failure().prop_map(move |error| Message::RequestDisplayModeFailure { item_id, error }),
        text().prop_map(move |url| Message::OpenLink {
            item_id,
            payload: UrlPayload { url },
        }),
        Just(Message::OpenLinkSuccess { item_id }),
        failure().prop_map(move |error| Message::OpenLinkFailure { item_id, error }),
        Just(Message::Ping { item_id }),
        Just(Message::Pong { item_id }),
    ]
    .boxed()
}

fn key_origin() -> impl Strategy<Value = KeyOrigin> {
    (prop_oneof![uuid_text(), text()], text()).prop_map(|(key, origin)| KeyOrigin { key, origin })
}

fn failure() -> impl Strategy<Value = FailurePayload> {
    (text(), text()).prop_map(|(code, message)| FailurePayload { code, message })
}

/// A finite height: whole pixels mostly, any finite value sometimes.
fn height() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..100_000).prop_map(f64::from),
        any::<f64>().prop_filter("finite", |h| h.is_finite()),
    ]
}

/// Any valid postMessage message.
pub fn message() -> BoxedStrategy<Message> {
    item_id()
        .prop_flat_map(|item_id| {
            prop_oneof![
                context_request().prop_map(move |payload| Message::GetContext { item_id, payload }),
                local_context(item_id).prop_map(move |c| Message::GetContextSuccess {
                    item_id,
                    context: Box::new(c),
                }),
                failure().prop_map(move |error| Message::GetContextFailure { item_id, error }),
                key_origin().prop_map(move |payload| Message::GetAuthToken { item_id, payload }),
                text().prop_map(move |token| Message::GetAuthTokenSuccess {
                    item_id,
                    payload: TokenPayload { token },
                }),
                failure().prop_map(move |error| Message::GetAuthTokenFailure { item_id, error }),
                height().prop_map(move |height| Message::PostAutoResize { item_id, height }),
                Just(Message::PostMaxResize { item_id }),
                v2_message(item_id),
            ]
        })
        .boxed()
}

const KINDS: [MessageKind; 22] = MessageKind::ALL;

/// A message `type`: a real prefix (or one a little off) and an id text (or one a little off).
pub fn message_type() -> BoxedStrategy<String> {
    (select(&KINDS[..]), 0..4u8, uuid_text())
        .prop_flat_map(|(kind, form, id)| {
            let ty = match form {
                0 => format!("{}_{id}", kind.prefix()),
                1 => format!("{}{id}", kind.prefix()),
                2 => format!("{}_{id}", kind.prefix().to_lowercase()),
                _ => kind.prefix().to_owned(),
            };
            prop_oneof![Just(ty.clone()), mutate_text(ty)]
        })
        .boxed()
}

/// A postMessage text as a host or an app may receive it: arbitrary text or JSON, a near-valid
/// type with any payload, or a valid message with its envelope, type or payload mutated.
pub fn message_text() -> BoxedStrategy<String> {
    prop_oneof![
        text(),
        json_value().prop_map(|v| v.to_string()),
        (message_type(), json_value())
            .prop_map(|(ty, payload)| json!({"type": ty, "payload": payload}).to_string()),
        message().prop_flat_map(|m| {
            let v: Value = serde_json::from_str(&m.encode()).unwrap();
            let payload = v.get("payload").cloned().unwrap_or(Value::Null);
            let ty = v["type"].as_str().unwrap_or_default().to_owned();
            (
                prop_oneof![Just(ty.clone()), mutate_text(ty)],
                prop_oneof![Just(payload.clone()), mutate_object(payload)],
            )
                .prop_map(|(ty, payload)| json!({"type": ty, "payload": payload}).to_string())
        }),
        message().prop_flat_map(|m| mutate_text(m.encode())),
    ]
    .boxed()
}

/// A timestamp text in the forms the protocol reads (RFC 3339, Postgres), or one nearly so.
pub fn timestamp_text() -> BoxedStrategy<String> {
    (
        -62_135_596_800i64..253_402_300_799,
        0u32..1_000_000_000,
        0u8..4,
        -1439i32..1440,
    )
        .prop_flat_map(|(secs, nanos, form, offset_min)| {
            let t = time::OffsetDateTime::from_unix_timestamp(secs)
                .unwrap()
                .replace_nanosecond(nanos)
                .unwrap();
            let off = time::UtcOffset::from_whole_seconds(offset_min * 60).unwrap();
            let local = t.to_offset(off);
            let (h, m) = (offset_min.abs() / 60, offset_min.abs() % 60);
            let sign = if offset_min < 0 { '-' } else { '+' };
            let base = format!(
                "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}.{:03}",
                local.year(),
                u8::from(local.month()),
                local.day(),
                if form % 2 == 0 { 'T' } else { ' ' },
                local.hour(),
                local.minute(),
                local.second(),
                local.millisecond()
            );
            let s = match form {
                0 => appframe_protocol::timestamp::format(&t),
                1 => format!("{base}{sign}{h:02}"),
                2 => format!("{base}{sign}{h:02}:{m:02}"),
                _ => format!("{base}{sign}{h:02}{m:02}"),
            };
            prop_oneof![Just(s.clone()), mutate_text(s)]
        })
        .boxed()
}
