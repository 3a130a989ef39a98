//! The sticky-notes analytics view: the chart of app actions per day and member, drawn without
//! any button pressed, agrees with the action table below it and follows new actions live.

use crate::notes::STICKY_NOTES_UI as UI;
use appframe_e2e::{
    Browser, Result,
    demo::{ALICE, BOB, CAROL, STICKY_NOTES},
    ensure,
    host_page::open_app,
    run,
};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// What the analytics view shows: the chart's bars and the table's rows.
#[derive(Debug, Deserialize)]
struct Shown {
    /// `[day, member, count]` of every `rect.bar`.
    bars: Vec<(String, String, u32)>,
    /// `[day, member]` of every action row.
    rows: Vec<(String, String)>,
    /// The chart's `<title>` text and `aria-label`.
    title: String,
    label: String,
}

impl Shown {
    /// Bars as (day, member) → count.
    fn bar_counts(&self) -> BTreeMap<(String, String), u32> {
        self.bars
            .iter()
            .map(|(d, m, n)| ((d.clone(), m.clone()), *n))
            .collect()
    }

    /// The table's rows counted per (day, member): what the bars must show.
    fn row_counts(&self) -> BTreeMap<(String, String), u32> {
        let mut counts = BTreeMap::new();
        for r in &self.rows {
            *counts.entry(r.clone()).or_default() += 1;
        }
        counts
    }

    /// Actions of `member` in the chart, all days together.
    fn charted(&self, member: &str) -> u32 {
        self.bars
            .iter()
            .filter(|(_, m, _)| m == member)
            .map(|(_, _, n)| n)
            .sum()
    }
}

async fn shown(b: &Browser) -> Result<Shown> {
    let v = b
        .js(
            "const svg = document.querySelector('#action-log svg#activity-chart');
             const bars = Array.from(document.querySelectorAll('#activity-chart rect.bar'))
               .map(r => [r.dataset.day, r.dataset.member, Number(r.dataset.count)]);
             const rows = Array.from(document.querySelectorAll('#action-table tr.action'))
               .map(tr => [tr.querySelector('.when').textContent.slice(0, 10),
                           tr.querySelector('.who').textContent]);
             const title = svg && svg.querySelector(':scope > title');
             return { bars, rows,
                      title: title ? title.textContent : '',
                      label: svg ? (svg.getAttribute('aria-label') || '') : '' };",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// Waits until the chart agrees with a table of `rows` actions whose members are `members`.
async fn wait_chart(b: &Browser, rows: usize, members: &[&str]) -> Result<Shown> {
    let mut last = None;
    let r = b
        .wait_until(
            &format!("a chart of {rows} actions by {members:?} matching the table"),
            async |b| {
                let s = shown(b).await?;
                let mut seen: Vec<&str> = s.bars.iter().map(|(_, m, _)| m.as_str()).collect();
                seen.sort_unstable();
                seen.dedup();
                let ok =
                    s.rows.len() == rows && seen == members && s.bar_counts() == s.row_counts();
                if ok {
                    return Ok(Some(s));
                }
                last = Some(s);
                Ok(None)
            },
        )
        .await;
    r.map_err(|e| e.with_last("shown", &last))
}

/// Bob (main browser) and Carol (a second browser, which stays on her page so that no action
/// request of hers is cut short by a navigation) add notes; Alice then opens the analytics view
/// in the main browser, and Carol adds one more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_analytics_chart_shows_actions_per_day_and_member_and_follows_new_ones_live() {
    run("sticky_analytics_chart", async |stack, b| {
        let carol = Browser::start().await?;
        let outcome = async {
            open_app(b, stack, STICKY_NOTES, "builder", BOB).await?;
            UI.add(b, "bob one", "item").await?;
            open_app(&carol, stack, STICKY_NOTES, "player", CAROL).await?;
            UI.add(&carol, "carol one", "item").await?;
            UI.add(&carol, "carol two", "item").await?;

            // Alice presses nothing: the chart is there, one bar per day and member of the
            // table's actions, and the table stays below it.
            open_app(b, stack, STICKY_NOTES, "analytics", ALICE).await?;
            ensure!(
                b.count("#refresh-actions").await? == 0,
                "the view still asks for a Refresh"
            );
            let before = wait_chart(b, 3, &["Bob", "Carol"]).await?;
            ensure!(
                before.charted("Carol") == 2 && before.charted("Bob") == 1,
                "bars {:?}",
                before.bars
            );
            ensure!(
                before
                    .title
                    .starts_with("App actions per day and member: 3 actions by 2 members")
                    && before.label == before.title,
                "chart title {:?}, aria-label {:?}",
                before.title,
                before.label
            );
            let role = b
                .js(
                    "return document.getElementById('activity-chart').getAttribute('role');",
                    vec![],
                )
                .await?;
            ensure!(role == json!("img"), "the chart's role is {role}");

            // Carol's next note: her action reaches Alice's chart and table without a reload.
            b.js("window.__e2eAnalytics = 'kept';", vec![]).await?;
            UI.add(&carol, "carol three", "item").await?;
            let after = wait_chart(b, 4, &["Bob", "Carol"]).await?;
            ensure!(
                after.charted("Carol") == 3 && after.charted("Bob") == 1,
                "bars after Carol's new note {:?}",
                after.bars
            );
            let mark = b
                .js("return window.__e2eAnalytics || null;", vec![])
                .await?;
            ensure!(
                mark == json!("kept"),
                "the analytics page was reloaded (mark is {mark})"
            );
            Ok(())
        }
        .await;
        let _ = carol.close().await;
        outcome
    })
    .await;
}
