//! What the two notes apps (js-notes, sticky-notes) have in common, by selector.

use appframe_e2e::{Browser, Result, ensure};
use fantoccini::{Locator, elements::Element};
use serde_json::json;

/// The selectors of one notes app.
pub struct NotesUi {
    /// Text input of a new note.
    pub input: &'static str,
    /// Visibility select of a new note (`member` | `item`).
    pub visibility: &'static str,
    /// The add button.
    pub add: &'static str,
    /// One note.
    pub note: &'static str,
    /// The text inside a note.
    pub text: &'static str,
    /// The delete button inside a note.
    pub delete: &'static str,
}

/// js-notes (plain JS).
pub const JS_NOTES_UI: NotesUi = NotesUi {
    input: "#note-text",
    visibility: "#note-visibility",
    add: "#add",
    note: "li.note",
    text: ".text",
    delete: "button.delete",
};

/// sticky-notes (leptos).
pub const STICKY_NOTES_UI: NotesUi = NotesUi {
    input: "#new-note-text",
    visibility: "#new-note-visibility",
    add: "#add-note",
    note: "li.note",
    text: ".note-text",
    delete: ".delete",
};

impl NotesUi {
    /// The texts of the notes shown, in page order.
    pub async fn texts(&self, b: &Browser) -> Result<Vec<String>> {
        let v = b
            .js(
                "return Array.from(document.querySelectorAll(arguments[0]))
                   .map(li => ((li.querySelector(arguments[1]) || {}).textContent || '').trim());",
                vec![json!(self.note), json!(self.text)],
            )
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Waits until exactly these texts are shown (any order).
    pub async fn wait_texts(&self, b: &Browser, expected: &[&str]) -> Result<()> {
        let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        let mut last = Vec::new();
        let r = b
            .wait_until(&format!("the notes {want:?}"), async |b| {
                let mut got = self.texts(b).await?;
                got.sort();
                let ok = got == want;
                last = got;
                Ok(ok.then_some(()))
            })
            .await;
        r.map_err(|e| e.with_last("shown", &last))
    }

    /// Adds a note with `visibility` and waits until it shows and the app is still `ready`.
    pub async fn add(&self, b: &Browser, text: &str, visibility: &str) -> Result<()> {
        b.fill(self.input, text).await?;
        b.select(self.visibility, visibility).await?;
        b.click(self.add).await?;
        self.note(b, text).await?;
        let status = b.text("#status").await?;
        ensure!(
            status == "ready",
            "after adding {text:?} the app reads {status:?}"
        );
        Ok(())
    }

    /// The note showing `text` (waits for it).
    pub async fn note(&self, b: &Browser, text: &str) -> Result<Element> {
        b.wait_until(&format!("a note {text:?}"), async |b| {
            for li in b.all(self.note).await? {
                let t = match li.find(Locator::Css(self.text)).await {
                    Ok(el) => el.text().await?,
                    Err(_) => continue,
                };
                if t.trim() == text {
                    return Ok(Some(li));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Whether the note showing `text` offers a delete button.
    pub async fn can_delete(&self, b: &Browser, text: &str) -> Result<bool> {
        let li = self.note(b, text).await?;
        Ok(!li.find_all(Locator::Css(self.delete)).await?.is_empty())
    }

    /// Deletes the note showing `text` and waits until it is gone.
    pub async fn delete(&self, b: &Browser, text: &str) -> Result<()> {
        let li = self.note(b, text).await?;
        b.click_element(&li.find(Locator::Css(self.delete)).await?)
            .await?;
        b.wait_until(&format!("the note {text:?} to go"), async |b| {
            Ok((!self.texts(b).await?.iter().any(|t| t == text)).then_some(()))
        })
        .await?;
        let status = b.text("#status").await?;
        ensure!(
            status == "ready",
            "after deleting {text:?} the app reads {status:?}"
        );
        Ok(())
    }
}
