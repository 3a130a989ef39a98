//! Keyset pages cut from the list cache must be the SQL path's pages: the same status, body
//! bytes and `Link` header, over random rows (ties in `created_at` included), every permission
//! scope (`appframe_protocol::rules::RowScope`), type filters, page sizes and cursors (from
//! the walk, between rows, past the end, of rows the viewer cannot see, malformed).

use super::*;
use crate::{
    extract::encode_cursor,
    store::{AppDataRow, from_micros},
};
use appframe_protocol::{Member, Visibility};
use base64::Engine;
use rand::{Rng, SeedableRng, rngs::StdRng};
use uuid::Uuid;

const BOB: &str = "bc5c25bd-3b16-4465-baba-7abf825cbd90";

/// What a list request answered, compared whole.
#[derive(Debug, PartialEq)]
struct Answer {
    status: StatusCode,
    content_type: Option<String>,
    link: Option<String>,
    body: String,
}

async fn answer(t: &T, token: &str, query: &str) -> Answer {
    let r = t
        .app_call(token, Method::GET, &format!("{ITEM}/app-data{query}"), None)
        .await;
    let get = |name: header::HeaderName| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (status, content_type, link) = (r.status(), get(header::CONTENT_TYPE), get(header::LINK));
    let body = String::from_utf8(body_bytes(r).await).unwrap();
    Answer {
        status,
        content_type,
        link,
        body,
    }
}

/// A second server on the first one's database whose list cache takes no row, so every list
/// it answers comes from SQL.
async fn sql_twin(dir: &std::path::Path) -> T {
    let mut c = Config::demo();
    c.server.data_dir = dir.to_owned();
    c.server.host_dir = None;
    c.server.apps_dir = None;
    c.server.apps_addr = None;
    c.server.data_cache_bytes = 0;
    let state = build_state(c).await.unwrap();
    T {
        router: app(state.clone()),
        state,
        _dir: tempfile::tempdir().unwrap(),
    }
}

fn member(id: &str, name: &str) -> Member {
    Member {
        id: id.parse::<Uuid>().unwrap().into(),
        name: name.into(),
    }
}

/// Inserts `n` random rows into ITEM; returns their positions.
async fn seed(t: &T, rng: &mut StdRng, n: usize) -> Vec<(i64, Uuid)> {
    let members = [
        member(ALICE, "Alice"),
        member(BOB, "Bob"),
        member(CAROL, "Carol"),
    ];
    let limits = t.state.config().server.limits();
    let base = 1_800_000_000_000_000_i64;
    let mut positions = Vec::new();
    for i in 0..n {
        // Few distinct timestamps: many rows tie on `created_at` and are ordered by id.
        let at = from_micros(base + rng.random_range(0..=(n as i64 / 4)));
        let row = AppDataRow {
            id: Uuid::from_u128(rng.random()),
            item_id: ITEM.parse().unwrap(),
            account: members[rng.random_range(0..3)].clone(),
            creator: rng
                .random_bool(0.9)
                .then(|| members[rng.random_range(0..3)].clone()),
            ty: ["a", "b", "c"][rng.random_range(0..3)].into(),
            visibility: if rng.random_bool(0.5) {
                Visibility::Item
            } else {
                Visibility::Member
            },
            data: json!({"i": i, "text": "é\"\\ \u{1F600}", "n": rng.random::<f64>()})
                .as_object()
                .unwrap()
                .clone(),
            created_at: at,
            updated_at: at,
        };
        t.state
            .store()
            .insert_app_data(&row, &limits)
            .await
            .unwrap();
        positions.push((crate::store::to_micros(at), row.id));
    }
    positions
}

/// A cursor at any `(µs, id)`, even one no timestamp has (the route only parses it).
fn raw_cursor(at: i64, id: Uuid) -> String {
    let c =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{at}:{}", id.simple()));
    if let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1000) {
        assert_eq!(c, encode_cursor(t, id), "the format the server writes");
    }
    c
}

/// The item's cached rows as the list route gets them.
async fn snapshot(t: &T, item: Uuid) -> std::sync::Arc<crate::cache::ItemRows> {
    t.state.store().item_rows(item).await.unwrap().unwrap()
}

/// The `Link` target as a path-and-query the router takes (`?...` after the route).
fn next_query(link: &str) -> String {
    let url = link
        .split(';')
        .next()
        .unwrap()
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let query = url.split_once('?').unwrap().1;
    format!("?{query}")
}

#[tokio::test]
async fn cached_pages_are_the_sql_pages_byte_for_byte() {
    for seed_value in [1_u64, 2, 3] {
        let mut rng = StdRng::seed_from_u64(seed_value);
        let cached = setup().await;
        let n = if seed_value == 1 {
            250
        } else {
            rng.random_range(1..120)
        };
        let positions = seed(&cached, &mut rng, n).await;
        let sql = sql_twin(cached._dir.path()).await;
        // The two servers really take different paths.
        let item: Uuid = ITEM.parse().unwrap();
        assert_eq!(
            snapshot(&cached, item).await.rows.as_ref().map(Vec::len),
            Some(n)
        );
        assert!(snapshot(&sql, item).await.rows.is_none());

        // Admin (every row), a writer and a reader (their own member rows and item rows).
        for who in [ALICE, BOB, CAROL] {
            let token = cached.token(who, ITEM).await;
            let same = |query: String| {
                let (cached, sql, token) = (&cached, &sql, token.clone());
                async move {
                    let a = answer(cached, &token, &query).await;
                    let b = answer(sql, &token, &query).await;
                    assert_eq!(a, b, "seed {seed_value}, {who}, {query}");
                    a
                }
            };
            for ty in ["", "&type=a", "&type=c", "&type=zz"] {
                for limit in [1, 3, 10, 100, 1000] {
                    // A whole walk, following `Link` as a client does.
                    let mut query = format!("?limit={limit}{ty}");
                    let mut pages = 0;
                    loop {
                        let a = same(query.clone()).await;
                        assert_eq!(a.status, StatusCode::OK);
                        pages += 1;
                        assert!(pages <= n + 1, "the walk ends");
                        match a.link {
                            Some(l) => query = next_query(&l),
                            None => break,
                        }
                    }
                }
                same(format!("?{}", ty.trim_start_matches('&'))).await;
            }
            // Cursors the walk does not produce: at rows, between rows, before the first and
            // after the last, with and without a limit.
            for _ in 0..40 {
                let (at, id) = positions[rng.random_range(0..positions.len())];
                let (at, id) = match rng.random_range(0..4) {
                    0 => (at, id),
                    1 => (at, Uuid::from_u128(rng.random())),
                    2 => (at + rng.random_range(-2..=2), id),
                    _ => (
                        [i64::MIN, 0, i64::MAX][rng.random_range(0..3)],
                        Uuid::from_u128(rng.random()),
                    ),
                };
                let cursor = raw_cursor(at, id);
                let limit = [
                    String::new(),
                    format!("&limit={}", rng.random_range(1..=120)),
                ][rng.random_range(0..2)]
                .clone();
                let ty = ["", "&type=b"][rng.random_range(0..2)];
                same(format!("?cursor={cursor}{limit}{ty}")).await;
            }
            let bad = same("?limit=5&cursor=bm90LWEtY3Vyc29y".into()).await;
            assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        }
    }
}
