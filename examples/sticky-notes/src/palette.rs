//! The colour palette in the UI: the `<option>`s of the colour selects and the admins' palette
//! editor, which saves the app setting `colors` (its rules are in `model.rs`).

use crate::{COLORS_SETTING, State, colors_data, parse_colors};
use leptos::prelude::*;

/// The palette as `<option>`s, with `selected` on the current colour.
pub(crate) fn color_options(
    st: State,
    current: impl Fn() -> String + Send + Sync + Copy + 'static,
) -> impl IntoView {
    move || {
        st.colors
            .get()
            .into_iter()
            .map(|c| {
                let selected = c == current();
                view! { <option value=c.clone() selected=selected style=format!("background:{c}")>{c.clone()}</option> }
            })
            .collect_view()
    }
}

/// The palette editor (admins only).
#[component]
pub(crate) fn SettingsEditor(st: State) -> impl IntoView {
    let input = RwSignal::new(st.colors.get_untracked().join(", "));
    let save = move |_| {
        st.run(async move {
            let colors = parse_colors(&input.get_untracked())?;
            let app = st.app()?;
            let data = colors_data(&colors);
            let setting = match st.colors_id.get_untracked() {
                Some(id) => app.patch_app_setting(id, data).await?,
                None => app.create_app_setting(COLORS_SETTING, data).await?,
            };
            st.colors_id.set(Some(setting.id));
            st.colors.set(colors);
            Ok(())
        });
    };
    view! {
        <section id="settings-editor">
            <h2>"Palette"</h2>
            <p class="swatches">
                {move || st.colors.get().into_iter().map(|c| view! {
                    <span class="swatch" title=c.clone() style=format!("background:{c}")></span>
                }).collect_view()}
            </p>
            <div class="row">
                <input id="colors-input" type="text" prop:value=move || input.get()
                    on:input=move |ev| input.set(event_target_value(&ev))/>
                <button id="save-colors" type="button" on:click=save>"Save palette"</button>
            </div>
        </section>
    }
}
