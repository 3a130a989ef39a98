//! Two server instances on one Postgres database, each with its caches on: what is
//! acknowledged through one is what the very next request through the other sees (the fence of
//! `store/pg_listen.rs`), for app data, memberships and sessions, also when an instance's
//! listening connection is lost. Only meaningful on Postgres (`postgres::`, skipped by the
//! SQLite run).

mod postgres {
    use crate::common::*;
    use reqwest::{Method, StatusCode};
    use serde_json::{Value, json};

    /// Both instances, or `None` (with the reason printed) without Postgres.
    async fn pair() -> Option<(TestServer, TestServer)> {
        let Some(backend) = Backend::postgres_from_env() else {
            eprintln!("skipped: set APPFRAME_TEST_DATABASE_URL to run on Postgres");
            return None;
        };
        let a = TestServer::start(backend, |_| {}).await;
        let b = a.second_instance().await;
        Some((a, b))
    }

    fn ids(rows: &[Value]) -> Vec<&str> {
        rows.iter().map(|r| r["id"].as_str().unwrap()).collect()
    }

    /// Loops: a row posted through one instance is in the next list and the next page through
    /// the other, whose cache held the list before the write.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_through_one_instance_is_in_the_next_get_through_the_other() {
        let Some((a, b)) = pair().await else {
            return;
        };
        // One session, its token used on both instances (same secret, same database).
        let token = a.token_for(BOB, NOTES_ITEM).await;
        let (on_a, on_b) = (a.app(&token), b.app(&token));
        let mut expected = 0;
        for i in 0..150 {
            let (writer, reader) = if i % 2 == 0 {
                (&on_a, &on_b)
            } else {
                (&on_b, &on_a)
            };
            // The reader's cache holds the list as it is now.
            assert_eq!(reader.app_data(NOTES_ITEM).await.len(), expected);
            let posted = writer
                .post_data(NOTES_ITEM, json!({"type": "note", "data": {"i": i}}))
                .await;
            expected += 1;
            let id = posted["id"].as_str().unwrap();
            let rows = reader.app_data(NOTES_ITEM).await;
            assert_eq!(
                rows.len(),
                expected,
                "round {i}: list through the other instance"
            );
            assert_eq!(ids(&rows).last(), Some(&id), "round {i}");
            let page = reader
                .list(&format!("/app-items/{NOTES_ITEM}/app-data?limit=1000"))
                .await;
            assert_eq!(ids(&page).last(), Some(&id), "round {i}: page");
        }
        // The lists were served from the caches: two reads with no write between are the
        // same snapshot.
        let store = b.state.store();
        let item = NOTES_ITEM.parse().unwrap();
        let first = store.item_rows(item).await.unwrap().expect("cache on");
        let again = store.item_rows(item).await.unwrap().expect("cache on");
        assert!(std::sync::Arc::ptr_eq(&first, &again));
        assert_eq!(first.rows.as_ref().map(Vec::len), Some(expected));
        drop(b);
    }

    /// A membership revoked through one instance denies the next request through the other,
    /// and a logout through one revokes the session's tokens at the other; both had cached
    /// the token check.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn revocations_through_one_instance_hold_at_the_next_request_through_the_other() {
        let Some((a, b)) = pair().await else {
            return;
        };
        let carol = b.app(&b.token_for(CAROL, NOTES_ITEM).await);
        for _ in 0..3 {
            carol.app_data(NOTES_ITEM).await;
        }
        let r = a
            .http
            .delete(a.url(&format!("/api/admin/memberships/{NOTES_ITEM}/{CAROL}")))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "revoke: {}", r.status());
        let r = carol
            .req(Method::GET, &format!("/app-items/{NOTES_ITEM}/app-data"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        let session = a.login(BOB).await;
        let token = a
            .token_with(&session, NOTES_ITEM, NOTES_KEY, APP_ORIGIN)
            .await;
        let bob = b.app(&token);
        for _ in 0..3 {
            bob.app_data(NOTES_ITEM).await;
        }
        let r = session
            .post(a.url("/api/logout"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "logout: {}", r.status());
        let r = bob
            .req(Method::GET, &format!("/app-items/{NOTES_ITEM}/app-data"))
            .send()
            .await
            .unwrap();
        expect_error(r, 401, Some("AFERR020")).await;
        drop(b);
    }

    /// Waits until both instances' cache listeners are connected, on other connections than
    /// `gone`; returns their backend pids.
    async fn listeners_back(c: &mut sqlx::PgConnection, gone: &[i32]) -> Vec<i32> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let pids: Vec<i32> = sqlx::query_scalar(
                "SELECT pid FROM pg_stat_activity \
                 WHERE application_name = 'appframe-cache-listener' \
                 AND datname = current_database() AND NOT pid = ANY($1)",
            )
            .bind(gone)
            .fetch_all(&mut *c)
            .await
            .unwrap();
            if pids.len() == 2 {
                return pids;
            }
            assert!(attempt < 100, "the listeners do not come back");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The listening connection of an instance is killed in the transaction that writes a row
    /// by SQL, so the row's notification is lost to it: its next list still has the row, and
    /// later writes keep showing once it listens again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lost_listener_never_lets_a_cache_serve_a_stale_list() {
        let Some((a, b)) = pair().await else {
            return;
        };
        let token = a.token_for(BOB, NOTES_ITEM).await;
        let (on_a, on_b) = (a.app(&token), b.app(&token));
        on_a.post_data(NOTES_ITEM, json!({"type": "note", "data": {"n": 0}}))
            .await;
        assert_eq!(on_b.app_data(NOTES_ITEM).await.len(), 1);

        let url = a.config.server.database_url.clone().unwrap();
        for round in 0..3 {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            let pids = listeners_back(&mut c, &[]).await;
            let mut tx = c.begin().await.unwrap();
            // Both instances' cache listeners: whichever instance reads next lost the row's
            // notification.
            let killed: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM unnest($1::int4[]) AS pid",
            )
            .bind(&pids)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
            assert_eq!(killed, [true, true], "round {round}");
            let id = uuid::Uuid::new_v4();
            sqlx::query(
                "INSERT INTO app_data (id, item_id, account_id, creator_id, type, visibility, \
                 data, created_at, updated_at, bytes) \
                 VALUES ($1, $2, $3, $3, 'note', 'item', '{}', $4, $4, 2)",
            )
            .bind(id)
            .bind(NOTES_ITEM.parse::<uuid::Uuid>().unwrap())
            .bind(BOB.parse::<uuid::Uuid>().unwrap())
            .bind(
                i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000)
                    .unwrap(),
            )
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            // Listening again (after the commit, so the row's notification was not heard):
            // the fence works again, the stamps must have moved on.
            listeners_back(&mut c, &pids).await;
            // Once B's fences come back again its cache serves: it must hold the row.
            let item = NOTES_ITEM.parse().unwrap();
            let mut attempts = 0;
            let snapshot = loop {
                if let Some(s) = b.state.store().item_rows(item).await.unwrap() {
                    break s;
                }
                attempts += 1;
                assert!(attempts < 20, "round {round}: the cache never serves again");
            };
            let cached = snapshot.rows.as_ref().expect("a small item is cached");
            assert_eq!(
                cached.last().map(|r| r.id),
                Some(id),
                "round {round}: cached list"
            );
            let rows = on_b.app_data(NOTES_ITEM).await;
            assert_eq!(
                ids(&rows).last(),
                Some(&id.to_string().as_str()),
                "round {round}"
            );
            assert_eq!(rows.len(), round + 2);
        }
        // Listening again: writes through the other instance show at once, as before.
        let posted = on_a
            .post_data(NOTES_ITEM, json!({"type": "note", "data": {"n": 9}}))
            .await;
        let rows = on_b.app_data(NOTES_ITEM).await;
        assert_eq!(ids(&rows).last(), posted["id"].as_str().as_ref());
        drop(b);
    }

    /// Instances starting together apply the configuration one at a time: while one holds the
    /// configuration lock the other waits, it gets the lock once the first releases it, and a
    /// lock dropped unreleased (its holder failed) is freed with its session instead of staying
    /// held on a pooled connection.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_instance_at_a_time_applies_the_configuration() {
        use std::time::Duration;
        let Some((a, b)) = pair().await else {
            return;
        };
        let sa = a.state.store();
        let held = sa.lock_configuration().await.unwrap();
        let other = b.state.clone();
        let waiting = tokio::spawn(async move { other.store().lock_configuration().await });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            !waiting.is_finished(),
            "the second instance got the lock while the first held it"
        );
        held.release().await;
        let second = tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("the lock is passed on once released")
            .unwrap()
            .unwrap();
        // Dropped without release, as when applying fails: the lock must not stay held.
        drop(second);
        let again = tokio::time::timeout(Duration::from_secs(10), sa.lock_configuration())
            .await
            .expect("a lock dropped unreleased is freed")
            .unwrap();
        again.release().await;
        // The store still serves after its lock connection was closed.
        assert_eq!(
            a.app_for(BOB, NOTES_ITEM)
                .await
                .app_data(NOTES_ITEM)
                .await
                .len(),
            0
        );
        drop(b);
    }
}
