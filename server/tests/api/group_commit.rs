//! The group commit of both stores, through the `Store` trait: rows that arrive together are
//! admitted against the quotas in arrival order (the ones past the quota refused, nothing
//! more), and a row that fails at insert (its account does not exist) fails alone while the
//! rows around it are stored.

use crate::common::*;
use appframe_protocol::{Member, Visibility};
use appframe_server::{
    Error,
    store::{AppActionRow, AppDataRow, PgStore, SqliteStore, Store, now},
};
use std::sync::Arc;
use uuid::Uuid;

/// Rows that arrive together.
const ROWS: usize = 24;
/// The item's row quota.
const QUOTA: u64 = 12;
/// The row naming an account that does not exist.
const BAD: usize = 3;

fn member(id: &str) -> Member {
    Member {
        id: id.parse::<Uuid>().unwrap().into(),
        name: String::new(),
    }
}

/// A `note` of `who` (account and creator) in the counter item, holding `data`.
fn note_of(who: Member, data: serde_json::Value) -> AppDataRow {
    let at = now();
    AppDataRow {
        id: Uuid::new_v4(),
        item_id: COUNTER_ITEM.parse().unwrap(),
        account: who.clone(),
        creator: Some(who),
        ty: "note".into(),
        visibility: Visibility::Item,
        data: serde_json::from_value(data).unwrap(),
        created_at: at,
        updated_at: at,
    }
}

fn data_row(i: usize) -> AppDataRow {
    let who = if i == BAD {
        member("00000000-0000-4000-8000-00000000dead")
    } else {
        member(BOB)
    };
    note_of(who, serde_json::json!({ "i": i }))
}

async fn check(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    let mut config = test_config();
    config.server.item_data_rows = QUOTA;
    config.server.member_data_rows = QUOTA;
    appframe_server::apply_config(&*store, &config)
        .await
        .unwrap();
    let limits = config.server.limits();

    let rows: Vec<AppDataRow> = (0..ROWS).map(data_row).collect();
    let results =
        futures::future::join_all(rows.iter().map(|r| store.insert_app_data(r, &limits))).await;
    let ok: Vec<usize> = (0..ROWS).filter(|&i| results[i].is_ok()).collect();
    assert!(
        matches!(results[BAD], Err(Error::Conflict(_))),
        "the bad row fails alone: {:?}",
        results[BAD]
    );
    let q = usize::try_from(QUOTA).unwrap();
    for (i, r) in results.iter().enumerate() {
        match r {
            Ok(()) => {}
            // Admission goes in arrival order: fewer than the quota arrived before the first
            // rows, so they are never refused.
            Err(Error::Quota(_)) => assert!(i >= q - 1, "row {i} refused: {results:?}"),
            Err(e) => assert_eq!(i, BAD, "row {i}: {e}"),
        }
    }
    // The rows admitted before the bad one counted it (it was admitted, then failed to
    // insert), so the item holds the quota or one row less; never more.
    assert!(
        ok.len() == q || ok.len() == q - 1,
        "{} rows stored",
        ok.len()
    );
    let stored = store
        .app_data_positions(
            &appframe_server::store::DataQuery::whole_item(COUNTER_ITEM.parse().unwrap()),
            1000,
        )
        .await
        .unwrap();
    let mut stored: Vec<Uuid> = stored.into_iter().map(|(_, id)| id).collect();
    let mut want: Vec<Uuid> = ok.iter().map(|&i| rows[i].id).collect();
    stored.sort();
    want.sort();
    assert_eq!(stored, want, "exactly the acknowledged rows are stored");

    // Actions take the same path.
    let actions: Vec<AppActionRow> = (0..8)
        .map(|i| AppActionRow {
            id: Uuid::new_v4(),
            item_id: COUNTER_ITEM.parse().unwrap(),
            account: if i == 5 {
                member("00000000-0000-4000-8000-00000000dead")
            } else {
                member(CAROL)
            },
            ty: "click".into(),
            data: serde_json::from_value(serde_json::json!({ "i": i })).unwrap(),
            created_at: now(),
        })
        .collect();
    let results =
        futures::future::join_all(actions.iter().map(|a| store.insert_app_action(a, &limits)))
            .await;
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.is_ok(), i != 5, "action {i}: {r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_admits_in_arrival_order_and_fails_a_bad_row_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("gc.db")).await.unwrap();
    check(Arc::new(store)).await;
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn admits_in_arrival_order_and_fails_a_bad_row_alone() {
        let Some(Backend::Postgres(admin_url)) = Backend::postgres_from_env() else {
            eprintln!("skipped: set APPFRAME_TEST_DATABASE_URL to run on Postgres");
            return;
        };
        let (_db, url) = PgDatabase::create(&admin_url).await;
        let store = PgStore::connect(&url).await.unwrap();
        check(Arc::new(store)).await;
    }

    /// Differences between the usage counters the group commit reads and the sums of the rows.
    async fn counters_off(pool: &sqlx::PgPool) -> i64 {
        let sums = "SELECT item_id, COALESCE(creator_id, '00000000-0000-0000-0000-000000000000'), \
             COUNT(*), SUM(bytes) FROM app_data GROUP BY 1, 2";
        let counters = "SELECT item_id, creator, rows, bytes FROM item_data_usage \
             WHERE rows <> 0 OR bytes <> 0";
        sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM (({counters} EXCEPT {sums}) UNION ALL ({sums} EXCEPT {counters})) d"
        ))
        .fetch_one(pool)
        .await
        .unwrap()
    }

    /// Rows of Bob and Carol, alternately, for one item.
    fn rows_of_two(n: usize) -> Vec<AppDataRow> {
        (0..n)
            .map(|i| {
                let who = member(if i % 2 == 0 { BOB } else { CAROL });
                note_of(who, serde_json::json!({ "i": i, "pad": "x".repeat(i) }))
            })
            .collect()
    }

    /// Two stores on one database (two instances) write to one item at once: its row quota
    /// holds exactly, and the usage counters their group commits read stay equal to the rows
    /// through inserts, updates, deletes and an account's deletion (which clears the creator
    /// of the rows it does not delete).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_instances_keep_the_quota_exact_and_the_usage_counters_equal_to_the_rows() {
        let Some(Backend::Postgres(admin_url)) = Backend::postgres_from_env() else {
            eprintln!("skipped: set APPFRAME_TEST_DATABASE_URL to run on Postgres");
            return;
        };
        let (_db, url) = PgDatabase::create(&admin_url).await;
        let a = PgStore::connect(&url).await.unwrap();
        a.migrate().await.unwrap();
        let b = PgStore::connect(&url).await.unwrap();
        let mut config = test_config();
        config.server.item_data_rows = 40;
        config.server.member_data_rows = 1000;
        appframe_server::apply_config(&a, &config).await.unwrap();
        let limits = config.server.limits();
        let pool = sqlx::PgPool::connect(&url).await.unwrap();

        let (on_a, on_b) = (rows_of_two(60), rows_of_two(60));
        let (ra, rb) = tokio::join!(
            futures::future::join_all(on_a.iter().map(|r| a.insert_app_data(r, &limits))),
            futures::future::join_all(on_b.iter().map(|r| b.insert_app_data(r, &limits))),
        );
        let stored = ra.iter().chain(&rb).filter(|r| r.is_ok()).count();
        for r in ra.iter().chain(&rb) {
            assert!(matches!(r, Ok(()) | Err(Error::Quota(_))), "{r:?}");
        }
        assert_eq!(stored, 40, "exactly the item's quota is stored");
        assert_eq!(counters_off(&pool).await, 0, "after the inserts");

        sqlx::query("UPDATE app_data SET bytes = bytes + 7 WHERE created_at % 3 = 0")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("DELETE FROM app_data WHERE id IN (SELECT id FROM app_data LIMIT 5)")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(counters_off(&pool).await, 0, "after updates and deletes");
        // Carol's own rows go with her account; rows she created for others lose their
        // creator.
        sqlx::query(
            "UPDATE app_data SET account_id = $1 WHERE creator_id = $2 AND created_at % 2 = 0",
        )
        .bind(BOB.parse::<Uuid>().unwrap())
        .bind(CAROL.parse::<Uuid>().unwrap())
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(CAROL.parse::<Uuid>().unwrap())
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(counters_off(&pool).await, 0, "after an account's deletion");
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_data")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(left > 0 && left < 40, "{left} rows left");

        // Admission reads the counters: the item fills up to its quota again, not past it.
        let more: Vec<AppDataRow> = rows_of_two(60)
            .into_iter()
            .map(|mut r| {
                r.account = member(BOB);
                r.creator = Some(member(BOB));
                r
            })
            .collect();
        let results =
            futures::future::join_all(more.iter().map(|r| b.insert_app_data(r, &limits))).await;
        let admitted = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(
            i64::try_from(admitted).unwrap(),
            40 - left,
            "the quota counts what is left"
        );
        assert_eq!(counters_off(&pool).await, 0, "after refilling");
        pool.close().await;
    }
}
