//! The notes' data shapes and rules, as pure functions (no browser), so they are unit-tested natively.

use crate::Error;
use appframe_sdk::{AccountId, AppData, Context, JsonObject, LocalContext, Permission, RowId};
use serde_json::{Value, json};

/// App-data type of a note.
pub const NOTE: &str = "note";
/// App-data type the server gives uploaded files.
pub const FILE: &str = "file";
/// Name of the app setting holding the colour palette (`{colors: ["#rrggbb", ...]}`).
pub const COLORS_SETTING: &str = "colors";
/// The palette used until an admin saves one.
pub const DEFAULT_COLORS: [&str; 4] = ["#fff3a8", "#ffd6e0", "#c8f7c5", "#cde7ff"];
/// Longest note text accepted by the form (the server bounds the whole body anyway).
pub const MAX_TEXT_CHARS: usize = 2000;
/// Most colours a palette may hold.
pub const MAX_COLORS: usize = 12;

/// A file attached to a note: the id of its `file` app-data row and the file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The `file` row.
    pub id: RowId,
    /// File name shown on the link.
    pub name: String,
}

/// What the UI shows of one `note` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Row id.
    pub id: RowId,
    /// The note's text.
    pub text: String,
    /// Background colour (a palette entry; any valid colour is shown).
    pub color: String,
    /// The attached file, if any.
    pub attachment: Option<Attachment>,
    /// Who created it (display name).
    pub author: String,
    /// `member` or `item`.
    pub visibility: &'static str,
}

impl Note {
    /// Reads a row's `data` leniently: rows written by other clients may lack fields.
    pub fn from_row(row: &AppData) -> Note {
        let data = &row.data;
        let text = data
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let color = color_of(data);
        let attachment = attachment_of(data);
        let author = row.creator.as_ref().unwrap_or(&row.account).name.clone();
        Note {
            id: row.id,
            text,
            color,
            attachment,
            author,
            visibility: row.visibility.as_str(),
        }
    }
}

/// A note's colour: its `color` when valid, else the default palette's first.
pub fn color_of(data: &JsonObject) -> String {
    data.get("color")
        .and_then(Value::as_str)
        .filter(|c| is_color(c))
        .unwrap_or(DEFAULT_COLORS[0])
        .to_owned()
}

/// The file attached to a note's `data`, if it names one well-formed.
pub fn attachment_of(data: &JsonObject) -> Option<Attachment> {
    let a = data.get("attachment")?;
    let id = a.get("id")?.as_str()?.parse().ok()?;
    let name = a.get("name")?.as_str()?.to_owned();
    Some(Attachment { id, name })
}

/// The `data` of a new note.
pub fn note_data(text: &str, color: &str) -> Result<JsonObject, Error> {
    let text = clean_text(text)?;
    if !is_color(color) {
        return Err(Error::Invalid(format!("{color:?} is not a colour")));
    }
    Ok(object(json!({ "text": text, "color": color })))
}

/// A note's `data` with new text and colour, keeping every other field (the attachment, fields
/// other clients added): a PATCH replaces the whole `data`.
pub fn edited(data: &JsonObject, text: &str, color: &str) -> Result<JsonObject, Error> {
    let mut out = data.clone();
    for (k, v) in note_data(text, color)? {
        out.insert(k, v);
    }
    Ok(out)
}

/// A note's `data` with `attachment` set (replacing any previous one).
pub fn with_attachment(data: &JsonObject, file: &Attachment) -> JsonObject {
    let mut out = data.clone();
    out.insert(
        "attachment".into(),
        json!({ "id": file.id.to_string(), "name": file.name }),
    );
    out
}

/// Trims and bounds a note's text; empty text is refused.
pub fn clean_text(text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Invalid("a note needs some text".into()));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::Invalid(format!(
            "a note holds at most {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}

/// True for `#rgb` / `#rrggbb` hex colours (the palette editor stores only these, so a setting
/// cannot inject CSS through the `style` attribute).
pub fn is_color(c: &str) -> bool {
    let Some(hex) = c.strip_prefix('#') else {
        return false;
    };
    matches!(hex.len(), 3 | 6) && hex.chars().all(|ch| ch.is_ascii_hexdigit())
}

/// Parses the palette editor's input: colours separated by commas or spaces, lower-cased,
/// duplicates dropped, 1 to [`MAX_COLORS`] of them.
pub fn parse_colors(input: &str) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for c in input.split([',', ' ', '\n']).filter(|c| !c.is_empty()) {
        let c = c.to_ascii_lowercase();
        if !is_color(&c) {
            return Err(Error::Invalid(format!(
                "{c:?} is not a colour like #ffd6e0"
            )));
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(Error::Invalid(
            "the palette needs at least one colour".into(),
        ));
    }
    if out.len() > MAX_COLORS {
        return Err(Error::Invalid(format!(
            "the palette holds at most {MAX_COLORS} colours"
        )));
    }
    Ok(out)
}

/// The palette stored in a `colors` setting's data; `None` when it holds no valid colour.
pub fn colors_of(data: &JsonObject) -> Option<Vec<String>> {
    let colors: Vec<String> = data
        .get("colors")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .filter(|c| is_color(c))
        .map(str::to_owned)
        .collect();
    (!colors.is_empty()).then_some(colors)
}

/// The `data` of the `colors` setting.
pub fn colors_data(colors: &[String]) -> JsonObject {
    object(json!({ "colors": colors }))
}

/// The colour for a new note: the chosen one while it is in the palette, else the palette's
/// first (the palette may change under an open form).
pub fn pick_color(chosen: &str, palette: &[String]) -> String {
    if palette.iter().any(|c| c == chosen) {
        chosen.to_owned()
    } else {
        palette
            .first()
            .cloned()
            .unwrap_or_else(|| DEFAULT_COLORS[0].to_owned())
    }
}

/// The default palette as owned strings.
pub fn default_colors() -> Vec<String> {
    DEFAULT_COLORS.iter().map(|c| (*c).to_owned()).collect()
}

/// Whether the user may edit, attach to and delete `row`: its creator (the addressed account
/// when the row has no creator) or an admin. The server enforces its own rules; this only
/// decides which buttons to show.
pub fn can_modify(row: &AppData, me: Option<AccountId>, permission: Permission) -> bool {
    if permission == Permission::Admin {
        return true;
    }
    let owner = row.creator.as_ref().unwrap_or(&row.account).id;
    me == Some(owner)
}

/// Whether the palette editor is shown (setting writes are admin-only on the server).
pub fn can_edit_settings(ctx: &LocalContext) -> bool {
    ctx.permission == Permission::Admin
}

/// Whether the action log is shown: admins, in the analytics view.
pub fn shows_action_log(ctx: &LocalContext) -> bool {
    ctx.permission == Permission::Admin && ctx.context == Context::Analytics
}

/// Parses a view name (`builder`, `player`, `analytics`, ...) as the protocol spells it.
pub fn parse_context(name: &str) -> Option<Context> {
    serde_json::from_value(Value::String(name.to_owned()))
        .ok()
        .filter(|c| *c != Context::Unknown)
}

/// The wire name of a view (`builder`, `analytics`, ...).
pub fn context_name(c: Context) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn object(v: Value) -> JsonObject {
    match v {
        Value::Object(m) => m,
        _ => JsonObject::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use appframe_sdk::{ItemId, Member};

    fn member(n: u128, name: &str) -> Member {
        Member {
            id: AccountId(uuid(n)),
            name: name.into(),
        }
    }

    fn uuid(n: u128) -> uuid::Uuid {
        uuid::Uuid::from_u128(n)
    }

    fn row(account: Member, creator: Option<Member>, data: Value) -> AppData {
        serde_json::from_value(json!({
            "id": uuid(99).to_string(),
            "item": { "id": uuid(7).to_string() },
            "account": account,
            "member": account,
            "creator": creator,
            "type": NOTE,
            "visibility": "item",
            "data": data,
            "createdAt": "2026-11-23T09:00:00.000Z",
            "updatedAt": "2026-11-23T09:00:00.000Z",
        }))
        .unwrap()
    }

    #[test]
    fn a_note_row_is_read_with_its_attachment_and_author() {
        let file = uuid(5).to_string();
        let r = row(
            member(1, "Alice"),
            Some(member(2, "Bob")),
            json!({"text": "hi", "color": "#c8f7c5", "attachment": {"id": file, "name": "a.pdf"}}),
        );
        let n = Note::from_row(&r);
        assert_eq!(n.text, "hi");
        assert_eq!(n.color, "#c8f7c5");
        assert_eq!(n.author, "Bob");
        assert_eq!(n.visibility, "item");
        assert_eq!(
            n.attachment,
            Some(Attachment {
                id: RowId(uuid(5)),
                name: "a.pdf".into()
            })
        );
    }

    #[test]
    fn a_row_from_another_client_with_odd_data_still_renders() {
        let r = row(
            member(1, "Alice"),
            None,
            json!({"color": "red; position: fixed", "attachment": 3}),
        );
        let n = Note::from_row(&r);
        assert_eq!(n.text, "");
        assert_eq!(
            n.color, DEFAULT_COLORS[0],
            "a non-hex colour never reaches style="
        );
        assert_eq!(n.attachment, None);
        assert_eq!(
            n.author, "Alice",
            "without a creator the addressed account is the author"
        );
    }

    #[test]
    fn editing_keeps_the_attachment_and_unknown_fields() {
        let data = object(
            json!({"text": "a", "color": "#fff", "attachment": {"id": "x", "name": "y"}, "pinned": true}),
        );
        let out = edited(&data, "  b  ", "#000000").unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"text": "b", "color": "#000000", "attachment": {"id": "x", "name": "y"}, "pinned": true})
        );
    }

    #[test]
    fn empty_or_oversized_text_and_bad_colours_are_refused() {
        assert!(note_data("   ", "#fff").is_err());
        assert!(note_data(&"x".repeat(MAX_TEXT_CHARS + 1), "#fff").is_err());
        assert!(note_data("ok", "url(x)").is_err());
        assert!(note_data(&"x".repeat(MAX_TEXT_CHARS), "#fff").is_ok());
    }

    #[test]
    fn attaching_replaces_the_previous_attachment() {
        let data = object(json!({"text": "a", "attachment": {"id": "old", "name": "old.txt"}}));
        let out = with_attachment(
            &data,
            &Attachment {
                id: RowId(uuid(3)),
                name: "new.txt".into(),
            },
        );
        assert_eq!(
            out["attachment"],
            json!({"id": uuid(3).to_string(), "name": "new.txt"})
        );
        assert_eq!(out["text"], json!("a"));
    }

    #[test]
    fn the_palette_input_is_parsed_lowercased_and_deduplicated() {
        assert_eq!(
            parse_colors("#FFF, #c8f7c5  #fff\n#abc").unwrap(),
            vec!["#fff", "#c8f7c5", "#abc"]
        );
        assert!(parse_colors("").is_err());
        assert!(parse_colors("#fff, red").is_err());
        assert!(parse_colors("#12345").is_err());
        assert!(parse_colors("#000").is_ok());
        let many: Vec<String> = (0..=MAX_COLORS).map(|i| format!("#{i:06x}")).collect();
        assert!(parse_colors(&many.join(",")).is_err());
    }

    #[test]
    fn a_palette_setting_round_trips_and_invalid_entries_are_dropped() {
        let colors = vec!["#fff".to_owned(), "#c8f7c5".to_owned()];
        assert_eq!(colors_of(&colors_data(&colors)), Some(colors));
        assert_eq!(colors_of(&object(json!({"colors": ["nope", 1]}))), None);
        assert_eq!(colors_of(&object(json!({}))), None);
    }

    #[test]
    fn only_the_creator_or_an_admin_may_modify_a_note() {
        let alice = member(1, "Alice");
        let bob = member(2, "Bob");
        let r = row(alice.clone(), Some(bob.clone()), json!({}));
        assert!(can_modify(&r, Some(bob.id), Permission::Read));
        assert!(
            !can_modify(&r, Some(alice.id), Permission::Write),
            "addressed but not the creator"
        );
        assert!(can_modify(&r, Some(alice.id), Permission::Admin));
        assert!(!can_modify(&r, None, Permission::Read));
        let uncreated = row(alice.clone(), None, json!({}));
        assert!(can_modify(&uncreated, Some(alice.id), Permission::Read));
    }

    #[test]
    fn a_new_note_takes_the_chosen_colour_only_while_it_is_in_the_palette() {
        let palette = vec!["#fff".to_owned(), "#000".to_owned()];
        assert_eq!(pick_color("#000", &palette), "#000");
        assert_eq!(pick_color("", &palette), "#fff");
        assert_eq!(pick_color("#abc", &palette), "#fff");
        assert_eq!(pick_color("#abc", &[]), DEFAULT_COLORS[0]);
    }

    #[test]
    fn view_names_parse_as_the_protocol_spells_them() {
        assert_eq!(parse_context("analytics"), Some(Context::Analytics));
        assert_eq!(parse_context("builder"), Some(Context::Builder));
        assert_eq!(parse_context("nonsense"), None);
        assert_eq!(context_name(Context::Player), "player");
    }

    #[test]
    fn settings_editor_is_for_admins_and_the_action_log_for_admins_in_analytics() {
        let mut ctx = LocalContext::new("http://x/api", ItemId(uuid(7)));
        ctx.context = Context::Analytics;
        assert!(!can_edit_settings(&ctx));
        assert!(!shows_action_log(&ctx));
        ctx.permission = Permission::Admin;
        assert!(can_edit_settings(&ctx));
        assert!(shows_action_log(&ctx));
        ctx.context = Context::Builder;
        assert!(can_edit_settings(&ctx));
        assert!(!shows_action_log(&ctx));
    }
}
