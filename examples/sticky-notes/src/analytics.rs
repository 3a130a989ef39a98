//! The analytics view (admins only): the item's app actions as a chart per day and member, with
//! the table of every action below it. Loaded at start-up and kept live: new actions arrive
//! through the SDK's `app-actions` subscription, and after every (re)connection the list is
//! fetched again, since actions may have been missed meanwhile.
//!
//! Element ids used by the end-to-end tests: `#action-log` (the section), `#activity-chart` (see
//! [`crate::chart`]), `#action-table` with one `tr.action` per action (`td.when` as
//! `YYYY-MM-DD hh:mm:ss` UTC, `td.who`, `td.what`, `td.data`).

use crate::{
    Error, State,
    chart::{ActivityChart, bucket},
};
use appframe_sdk::{App, AppAction, LiveEvent, Op, Topic};
use leptos::{prelude::*, task::spawn_local};
use time::UtcOffset;

/// Fetches the actions and subscribes to new ones (called once, at start-up, when the view is
/// the analytics one and the member an admin).
pub(crate) async fn start(st: State, app: &App) -> Result<(), Error> {
    st.actions.set(app.list_app_actions(None).await?);
    let handle = app.on_update(Topic::AppActions, move |event| match event {
        Ok(LiveEvent::AppAction(op, action)) => {
            // Kept aside too while a refetch is in flight, whose answer may predate it.
            st.actions_arrived.update_value(|a| {
                if let Some(a) = a {
                    apply(a, op, action.clone());
                }
            });
            st.actions.update(|list| apply(list, op, action));
        }
        Ok(LiveEvent::Resync) => refetch(st),
        Ok(_) => {}
        Err(e) => st.fail(&Error::Sdk(e)),
    });
    st.actions_live.set_value(Some(handle));
    Ok(())
}

/// Fetches the whole list again; actions that arrive live meanwhile are added to its answer.
fn refetch(st: State) {
    st.actions_arrived.set_value(Some(Vec::new()));
    spawn_local(async move {
        let fetched = async { Ok::<_, Error>(st.app()?.list_app_actions(None).await?) }.await;
        let arrived = st.actions_arrived.try_update_value(Option::take).flatten();
        match fetched {
            Ok(mut list) => {
                for a in arrived.unwrap_or_default() {
                    apply(&mut list, Op::Post, a);
                }
                st.actions.set(list);
            }
            Err(e) => st.fail(&e),
        }
    });
}

/// Applies one live update to the list: a posted or patched action is added or replaced by id
/// (a post already held, as after a refetch, changes nothing), a deleted one removed.
pub fn apply(list: &mut Vec<AppAction>, op: Op, action: AppAction) {
    let at = list.iter().position(|a| a.id == action.id);
    match (op, at) {
        (Op::Delete, Some(i)) => {
            list.remove(i);
        }
        (Op::Patch, Some(i)) => list[i] = action,
        (Op::Post | Op::Patch, None) => list.push(action),
        (Op::Post, Some(_)) | (Op::Delete, None) => {}
    }
}

/// `2026-12-06 09:41:07`, in UTC like the chart's days.
pub fn when(action: &AppAction) -> String {
    let t = action.created_at.to_offset(UtcOffset::UTC);
    format!(
        "{} {:02}:{:02}:{:02}",
        t.date(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The chart, then every action newest first.
#[component]
pub(crate) fn ActionLog(
    /// The app's state (its `actions` are shown).
    st: State,
) -> impl IntoView {
    let activity = Memo::new(move |_| st.actions.with(|a| bucket(a)));
    let rows = move || {
        let mut actions = st.actions.get();
        actions.sort_by_key(|a| std::cmp::Reverse(a.created_at));
        actions
            .into_iter()
            .map(|a| {
                let when = when(&a);
                let data = serde_json::Value::Object(a.data).to_string();
                view! {
                    <tr class="action">
                        <td class="when muted">{when}</td>
                        <td class="who">{a.account.name}</td>
                        <td class="what"><code>{a.ty}</code></td>
                        <td class="data muted">{data}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section id="action-log">
            <h2>"Activity"</h2>
            <ActivityChart activity=activity/>
            <table id="action-table">
                <caption>"Action log (times in UTC), newest first"</caption>
                <thead>
                    <tr><th scope="col">"Time"</th><th scope="col">"Member"</th>
                        <th scope="col">"Action"</th><th scope="col">"Data"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use appframe_sdk::{AccountId, Member, RowId};
    use time::macros::datetime;

    fn action(id: u128, ty: &str) -> AppAction {
        let who = Member {
            id: AccountId(uuid::Uuid::from_u128(1)),
            name: "Alice".into(),
        };
        AppAction {
            id: RowId(uuid::Uuid::from_u128(id)),
            account: who.clone(),
            member: who,
            ty: ty.into(),
            data: Default::default(),
            created_at: datetime!(2026-12-06 09:41:07.250 +1),
        }
    }

    #[test]
    fn live_updates_add_replace_and_remove_by_id_and_a_repeated_post_is_ignored() {
        let mut list = vec![action(1, "create-note")];
        apply(&mut list, Op::Post, action(2, "edit-note"));
        apply(&mut list, Op::Post, action(2, "changed"));
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].ty, "edit-note");
        apply(&mut list, Op::Patch, action(2, "changed"));
        assert_eq!(list[1].ty, "changed");
        apply(&mut list, Op::Delete, action(1, ""));
        apply(&mut list, Op::Delete, action(9, ""));
        assert_eq!(
            list.iter().map(|a| a.ty.as_str()).collect::<Vec<_>>(),
            ["changed"]
        );
    }

    #[test]
    fn times_are_shown_in_utc_to_the_second() {
        assert_eq!(when(&action(1, "x")), "2026-12-06 08:41:07");
    }
}
