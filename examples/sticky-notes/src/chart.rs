//! The activity chart of the analytics view: app actions per day and per member, as a stacked bar
//! chart drawn in inline SVG. Counting ([`bucket`]) and geometry ([`layout`]) are pure functions,
//! unit-tested natively; [`ActivityChart`] only turns their output into elements.
//!
//! Days are UTC calendar days (the server's timestamps are UTC, and every viewer of the item
//! then sees the same bars). Elements used by the end-to-end tests: `#activity-chart` (the
//! `<svg>`, with `<title>` and `aria-label`), `rect.bar` with `data-day` (`YYYY-MM-DD`),
//! `data-member` (display name) and `data-count`.

use appframe_sdk::{AccountId, AppAction};
use leptos::prelude::*;
use time::{Date, UtcOffset};

/// Most days the chart shows: the latest ones (the table below it keeps every action).
pub const MAX_DAYS: usize = 30;

/// One member's colour, by their place in [`Activity::members`] (repeats after eight members;
/// the legend and each bar's title still name them).
const PALETTE: [&str; 8] = [
    "#3b5bdb", "#e8590c", "#2b8a3e", "#c2255c", "#6741d9", "#0c8599", "#e67700", "#495057",
];

/// The drawing's coordinate system (the `viewBox`; the element scales to its container).
const WIDTH: f32 = 640.0;
const HEIGHT: f32 = 240.0;
/// Room for the count labels on the left and the day labels below.
const LEFT: f32 = 36.0;
const BOTTOM: f32 = 28.0;
const TOP: f32 = 10.0;
const RIGHT: f32 = 8.0;
/// Widest column (with one day the slot is the whole plot).
const MAX_BAR_WIDTH: f32 = 48.0;

/// Actions counted per day and member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    /// Every calendar day from the first counted action's to the last's, oldest first, at most
    /// [`MAX_DAYS`] (days without actions included, so gaps show as gaps).
    pub days: Vec<Date>,
    /// Members who acted on those days, by name (then id, for two members of the same name).
    pub members: Vec<(AccountId, String)>,
    /// Non-zero counts, ordered by day then member.
    pub counts: Vec<Count>,
}

/// How many actions one member recorded on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// Index into [`Activity::days`].
    pub day: usize,
    /// Index into [`Activity::members`].
    pub member: usize,
    /// Number of actions (at least 1).
    pub n: u32,
}

impl Activity {
    /// Actions of day `day`, all members together.
    pub fn day_total(&self, day: usize) -> u32 {
        self.counts
            .iter()
            .filter(|c| c.day == day)
            .map(|c| c.n)
            .sum()
    }

    /// The largest [`Activity::day_total`] (0 without actions).
    pub fn max_day_total(&self) -> u32 {
        (0..self.days.len())
            .map(|d| self.day_total(d))
            .max()
            .unwrap_or(0)
    }
}

/// The UTC calendar day of an action.
pub fn day_of(action: &AppAction) -> Date {
    action.created_at.to_offset(UtcOffset::UTC).date()
}

/// Counts `actions` per UTC day and member, over the [`MAX_DAYS`] days ending on the latest
/// action's day; older actions are left out of the chart.
pub fn bucket(actions: &[AppAction]) -> Activity {
    let Some(last) = actions.iter().map(day_of).max() else {
        return Activity::default();
    };
    let first_shown = (1..MAX_DAYS).try_fold(last, |d, _| d.previous_day());
    let first_shown = first_shown.unwrap_or(Date::MIN);
    let shown: Vec<&AppAction> = actions
        .iter()
        .filter(|a| day_of(a) >= first_shown)
        .collect();
    let first = shown.iter().map(|a| day_of(a)).min().unwrap_or(last);
    let mut days = vec![first];
    while let Some(next) = days
        .last()
        .and_then(|d| d.next_day())
        .filter(|d| *d <= last)
    {
        days.push(next);
    }

    let mut members: Vec<(AccountId, String)> = Vec::new();
    for a in &shown {
        if !members.iter().any(|(id, _)| *id == a.account.id) {
            members.push((a.account.id, a.account.name.clone()));
        }
    }
    members.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));

    let mut grid = vec![0u32; days.len() * members.len()];
    for a in &shown {
        let day = days.iter().position(|d| *d == day_of(a));
        let member = members.iter().position(|(id, _)| *id == a.account.id);
        if let (Some(day), Some(member)) = (day, member)
            && let Some(cell) = grid.get_mut(day * members.len() + member)
        {
            *cell += 1;
        }
    }
    let counts = grid
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, &n)| Count {
            day: i / members.len(),
            member: i % members.len(),
            n,
        })
        .collect();
    Activity {
        days,
        members,
        counts,
    }
}

/// A rectangle in the drawing's coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge (SVG's y grows downwards).
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// One bar segment: a member's actions on a day, stacked on the members before them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// What the segment counts.
    pub count: Count,
    /// Where it is drawn.
    pub rect: Rect,
}

/// Where each [`Count`] is drawn: one column per day, its height the day's total, split into one
/// segment per member in [`Activity::members`] order (bottom first). The tallest day fills the
/// plot's height.
pub fn layout(activity: &Activity) -> Vec<Bar> {
    let max = activity.max_day_total();
    if max == 0 || activity.days.is_empty() {
        return Vec::new();
    }
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT - RIGHT) / activity.days.len() as f32;
    // A gap between columns, so that neighbouring days do not merge; a few days must not make
    // columns as wide as the chart.
    let w = (slot * 0.7).clamp(1.0, MAX_BAR_WIDTH);
    let unit = plot_h / max as f32;
    let mut stacked = vec![0u32; activity.days.len()];
    activity
        .counts
        .iter()
        .map(|&count| {
            let below = stacked.get(count.day).copied().unwrap_or(0);
            if let Some(s) = stacked.get_mut(count.day) {
                *s += count.n;
            }
            let h = count.n as f32 * unit;
            Bar {
                count,
                rect: Rect {
                    x: LEFT + count.day as f32 * slot + (slot - w) / 2.0,
                    y: TOP + plot_h - below as f32 * unit - h,
                    w,
                    h,
                },
            }
        })
        .collect()
}

/// Which days get a label under the axis: about eight, evenly spaced, always the last.
pub fn labelled_days(days: usize) -> Vec<usize> {
    let step = days.div_ceil(8).max(1);
    (0..days)
        .filter(|d| (days - 1 - d).is_multiple_of(step))
        .collect()
}

/// A member's colour.
fn color(member: usize) -> &'static str {
    PALETTE[member % PALETTE.len()]
}

/// `12-06` for a day label (the year is in each bar's title and `data-day`).
fn short_day(d: Date) -> String {
    format!("{:02}-{:02}", u8::from(d.month()), d.day())
}

/// What the chart says, for screen readers and as the SVG's title.
pub fn summary(activity: &Activity) -> String {
    let total: u32 = activity.counts.iter().map(|c| c.n).sum();
    match (activity.days.first(), activity.days.last()) {
        (Some(first), Some(last)) => format!(
            "App actions per day and member: {total} action{} by {} member{} from {first} to {last} (UTC)",
            plural(total),
            activity.members.len(),
            plural(activity.members.len() as u32),
        ),
        _ => "App actions per day and member: no actions yet".into(),
    }
}

/// The chart of `activity` (re-drawn whenever the signal changes), with its legend.
#[component]
pub fn ActivityChart(
    /// What to draw.
    #[prop(into)]
    activity: Signal<Activity>,
) -> impl IntoView {
    let label = move || activity.with(summary);
    let bars = move || {
        activity.with(|a| {
            layout(a)
                .into_iter()
                .map(|bar| {
                    let day = a.days.get(bar.count.day).copied();
                    let day = day.map(|d| d.to_string()).unwrap_or_default();
                    let name = a
                        .members
                        .get(bar.count.member)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default();
                    let n = bar.count.n;
                    let tip = format!("{name}, {day}: {n} action{}", plural(n));
                    let r = bar.rect;
                    // `<g>` first: it makes the `<title>` below an SVG title (a tooltip), not
                    // an HTML one.
                    view! {
                        <g>
                            <rect class="bar" x=r.x y=r.y width=r.w height=r.h
                                fill=color(bar.count.member)
                                data-day=day data-member=name data-count=n>
                                <title>{tip}</title>
                            </rect>
                        </g>
                    }
                })
                .collect_view()
        })
    };
    let axis = move || {
        activity.with(|a| {
            let max = a.max_day_total();
            let slot = (WIDTH - LEFT - RIGHT) / a.days.len().max(1) as f32;
            let days = labelled_days(a.days.len())
                .into_iter()
                .filter_map(|i| Some((i, a.days.get(i).copied()?)))
                .map(|(i, d)| {
                    let x = LEFT + (i as f32 + 0.5) * slot;
                    view! { <g><text class="day" x=x y=HEIGHT - 10.0 text-anchor="middle">{short_day(d)}</text></g> }
                })
                .collect_view();
            view! {
                <g>
                    <line x1=LEFT y1=HEIGHT - BOTTOM x2=WIDTH - RIGHT y2=HEIGHT - BOTTOM stroke="#868e96"/>
                    <text class="max" x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end">{max}</text>
                    <text x=LEFT - 6.0 y=HEIGHT - BOTTOM text-anchor="end">"0"</text>
                    {days}
                </g>
            }
        })
    };
    let legend = move || {
        activity.with(|a| {
            a.members
                .iter()
                .enumerate()
                .map(|(i, (_, name))| {
                    view! { <li><span class="swatch" style=format!("background:{}", color(i))></span>{name.clone()}</li> }
                })
                .collect_view()
        })
    };
    view! {
        <figure class="chart">
            <svg id="activity-chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
                aria-label=label>
                <title>{label}</title>
                {axis}
                {bars}
            </svg>
            <ul class="legend">{legend}</ul>
        </figure>
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use appframe_sdk::{Member, RowId};
    use std::sync::atomic::{AtomicU64, Ordering};
    use time::{
        Duration, OffsetDateTime,
        macros::{date, datetime},
    };

    fn member(n: u128, name: &str) -> Member {
        Member {
            id: AccountId(uuid::Uuid::from_u128(n)),
            name: name.into(),
        }
    }

    static NEXT: AtomicU64 = AtomicU64::new(1);

    fn action(who: &Member, at: OffsetDateTime) -> AppAction {
        AppAction {
            id: RowId(uuid::Uuid::from_u128(u128::from(
                NEXT.fetch_add(1, Ordering::Relaxed),
            ))),
            account: who.clone(),
            member: who.clone(),
            ty: "create-note".into(),
            data: Default::default(),
            created_at: at,
        }
    }

    #[test]
    fn no_actions_give_an_empty_chart() {
        let a = bucket(&[]);
        assert_eq!(a, Activity::default());
        assert!(layout(&a).is_empty());
        assert_eq!(a.max_day_total(), 0);
        assert_eq!(
            summary(&a),
            "App actions per day and member: no actions yet"
        );
    }

    #[test]
    fn one_member_on_one_day_is_one_bar_filling_the_plot() {
        let carol = member(3, "Carol");
        let t = datetime!(2026-12-06 09:00 UTC);
        let a = bucket(&[action(&carol, t), action(&carol, t + Duration::hours(2))]);
        assert_eq!(a.days, [date!(2026 - 12 - 06)]);
        assert_eq!(a.members, [(carol.id, "Carol".to_owned())]);
        assert_eq!(
            a.counts,
            [Count {
                day: 0,
                member: 0,
                n: 2
            }]
        );
        let bars = layout(&a);
        assert_eq!(bars.len(), 1);
        let r = bars[0].rect;
        assert_eq!((r.y, r.y + r.h), (TOP, HEIGHT - BOTTOM));
        // Centred in the plot, no wider than a column may be.
        assert_eq!(r.w, MAX_BAR_WIDTH);
        assert!((r.x + r.w / 2.0 - (LEFT + WIDTH - RIGHT) / 2.0).abs() < 1e-3);
    }

    #[test]
    fn actions_are_counted_per_utc_day_and_member_and_stacked() {
        let alice = member(1, "Alice");
        let bob = member(2, "Bob");
        // 23:30 at UTC-2 is the next day in UTC.
        let late = datetime!(2026-12-05 23:30 -2);
        let actions = [
            action(&bob, datetime!(2026-12-05 10:00 UTC)),
            action(&alice, datetime!(2026-12-05 11:00 UTC)),
            action(&alice, datetime!(2026-12-05 12:00 UTC)),
            action(&bob, late),
            action(&alice, datetime!(2026-12-06 08:00 UTC)),
        ];
        let a = bucket(&actions);
        assert_eq!(a.days, [date!(2026 - 12 - 05), date!(2026 - 12 - 06)]);
        // By name, whatever order they acted in.
        let names: Vec<&str> = a.members.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["Alice", "Bob"]);
        assert_eq!(
            a.counts,
            [
                Count {
                    day: 0,
                    member: 0,
                    n: 2
                },
                Count {
                    day: 0,
                    member: 1,
                    n: 1
                },
                Count {
                    day: 1,
                    member: 0,
                    n: 1
                },
                Count {
                    day: 1,
                    member: 1,
                    n: 1
                },
            ]
        );
        assert_eq!(
            (a.day_total(0), a.day_total(1), a.max_day_total()),
            (3, 2, 3)
        );

        let bars = layout(&a);
        assert_eq!(bars.len(), 4);
        let unit = (HEIGHT - TOP - BOTTOM) / 3.0;
        // Day 0: Alice's 2 at the bottom, Bob's 1 on top of them, the column full height.
        assert_eq!(bars[0].rect.y + bars[0].rect.h, HEIGHT - BOTTOM);
        assert!((bars[0].rect.h - 2.0 * unit).abs() < 1e-3);
        assert!((bars[1].rect.y + bars[1].rect.h - bars[0].rect.y).abs() < 1e-3);
        assert!((bars[1].rect.y - TOP).abs() < 1e-3);
        // Day 1 is a column to the right, two thirds as tall.
        assert!(bars[2].rect.x > bars[0].rect.x + bars[0].rect.w);
        assert!((bars[2].rect.h + bars[3].rect.h - 2.0 * unit).abs() < 1e-3);
        assert_eq!(bars[0].rect.x, bars[1].rect.x);
    }

    #[test]
    fn days_without_actions_stay_as_gaps_and_only_the_last_30_days_are_shown() {
        let bob = member(2, "Bob");
        let last = datetime!(2026-12-06 12:00 UTC);
        // Three days apart: the two days between are empty columns.
        let a = bucket(&[action(&bob, last - Duration::days(3)), action(&bob, last)]);
        assert_eq!(a.days.len(), 4);
        assert_eq!(a.counts.iter().map(|c| c.day).collect::<Vec<_>>(), [0, 3]);

        // One action a day for 45 days: the chart keeps the latest 30, oldest first.
        let many: Vec<AppAction> = (0..45)
            .map(|i| action(&bob, last - Duration::days(i)))
            .collect();
        let a = bucket(&many);
        assert_eq!(a.days.len(), MAX_DAYS);
        assert_eq!(a.days.first(), Some(&date!(2026 - 11 - 07)));
        assert_eq!(a.days.last(), Some(&date!(2026 - 12 - 06)));
        assert_eq!(a.counts.len(), MAX_DAYS);
        assert!(a.counts.iter().all(|c| c.n == 1));
        let bars = layout(&a);
        assert!(bars.windows(2).all(|w| w[0].rect.x < w[1].rect.x));
        assert!(bars.iter().all(|b| b.rect.x + b.rect.w <= WIDTH - RIGHT));
        assert_eq!(
            summary(&a),
            "App actions per day and member: 30 actions by 1 member from 2026-11-07 to 2026-12-06 (UTC)"
        );
    }

    #[test]
    fn two_members_of_the_same_name_are_two_members() {
        let a1 = member(1, "Sam");
        let a2 = member(2, "Sam");
        let t = datetime!(2026-12-06 12:00 UTC);
        let a = bucket(&[action(&a2, t), action(&a1, t)]);
        assert_eq!(a.members.len(), 2);
        assert_eq!(a.members[0].0, a1.id);
        assert_eq!(a.counts.len(), 2);
    }

    #[test]
    fn about_eight_day_labels_always_including_the_last_day() {
        assert_eq!(labelled_days(0), Vec::<usize>::new());
        assert_eq!(labelled_days(1), [0]);
        assert_eq!(labelled_days(8), (0..8).collect::<Vec<_>>());
        assert_eq!(labelled_days(9), [0, 2, 4, 6, 8]);
        let l = labelled_days(30);
        assert_eq!(l.last(), Some(&29));
        assert!(l.len() <= 8);
        assert_eq!(short_day(date!(2026 - 01 - 09)), "01-09");
    }
}
