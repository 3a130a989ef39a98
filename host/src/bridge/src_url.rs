//! The iframe `src` of an app: its URL with `itemId` added to the query.

use crate::text;
use appframe_protocol::ItemId;

/// The iframe `src`: the app URL with `itemId=<id>` appended to its query (before any `#`).
pub fn app_src(app_url: &str, item_id: &ItemId) -> String {
    // `split_once` rather than slicing at an index: a slice that could panic would bring the
    // panic's Debug formatting (and its Unicode tables) into the package.
    let (base, fragment) = match app_url.split_once('#') {
        Some((base, fragment)) => (base, fragment),
        None => (app_url, ""),
    };
    let sep = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    let mut src = text::concat(&[base, sep, "itemId="]);
    text::push_id(&mut src, item_id);
    if app_url.contains('#') {
        src.push('#');
        src.push_str(fragment);
    }
    src
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn item() -> ItemId {
        "860336f0-9317-4193-91ad-5d58f6a975d8".parse().unwrap()
    }

    #[test]
    fn app_src_appends_item_id_with_question_mark_or_ampersand() {
        let id = item();
        assert_eq!(
            app_src("http://a/app/", &id),
            format!("http://a/app/?itemId={id}")
        );
        assert_eq!(
            app_src("http://a/app/?x=1", &id),
            format!("http://a/app/?x=1&itemId={id}")
        );
        assert_eq!(
            app_src("http://a/app/?", &id),
            format!("http://a/app/?itemId={id}")
        );
        assert_eq!(
            app_src("http://a/?x=1#top", &id),
            format!("http://a/?x=1&itemId={id}#top")
        );
    }
}
