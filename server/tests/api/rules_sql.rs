//! The app-data list filter is SQL (`store/usage.rs`), the rule is Rust
//! (`appframe_protocol::rules`): over random rows, members and permissions, the rows the SQL
//! selects for a viewer are exactly those [`rules::can_see_row`] lets the viewer see, in the
//! list's `(created_at, id)` order, for the streamed list and for the page positions alike.
//! On SQLite always; on Postgres when `APPFRAME_TEST_DATABASE_URL` is set (`postgres::`).

use crate::common::*;
use crate::strategies::config;
use appframe_protocol::{
    AccountId, Permission, Visibility,
    rules::{self, Viewer},
};
use appframe_server::{
    config::AccountKind,
    quota::Limits,
    store::{
        Account, AppDataRow, AppRecord, DataQuery, ItemRecord, MembershipRecord, Publisher, Store,
        now, to_micros,
    },
};
use futures::TryStreamExt;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use std::sync::Arc;
use uuid::Uuid;

/// Accounts of every case: viewers, addressees and creators are drawn from them.
const ACCOUNTS: usize = 4;
/// Types rows are drawn from (and the list's type filter).
const TYPES: [&str; 2] = ["note", "vote"];

/// One generated row: visibility, addressed account, creator (`None`: deleted), type.
type GenRow = (Visibility, usize, Option<usize>, usize);

/// One case: each account's permission on a fresh item (`None`: no membership), the item's
/// rows, and the type filter of the lists.
#[derive(Debug, Clone)]
struct Case {
    permissions: Vec<Option<Permission>>,
    rows: Vec<GenRow>,
    ty: Option<usize>,
}

fn permission() -> impl Strategy<Value = Option<Permission>> {
    prop_oneof![
        Just(None),
        Just(Some(Permission::Read)),
        Just(Some(Permission::Write)),
        Just(Some(Permission::Admin)),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let visibility = prop_oneof![Just(Visibility::Member), Just(Visibility::Item)];
    let row = (
        visibility,
        0..ACCOUNTS,
        proptest::option::weighted(0.8, 0..ACCOUNTS),
        0..TYPES.len(),
    );
    (
        proptest::collection::vec(permission(), ACCOUNTS),
        proptest::collection::vec(row, 0..16),
        proptest::option::of(0..TYPES.len()),
    )
        .prop_map(|(permissions, rows, ty)| Case {
            permissions,
            rows,
            ty,
        })
}

/// The registry the cases' items hang off: a publisher, an app and [`ACCOUNTS`] accounts.
async fn registry(store: &dyn Store) -> Vec<Account> {
    store
        .upsert_publisher(&Publisher {
            name: "rules".into(),
            origins: vec!["http://127.0.0.1:1".into()],
        })
        .await
        .unwrap();
    store
        .upsert_app(&AppRecord {
            name: "rules".into(),
            key: Uuid::new_v4(),
            url: "http://127.0.0.1:1/".into(),
            publisher: "rules".into(),
            description: None,
            thumbnail: None,
        })
        .await
        .unwrap();
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        let a = Account {
            id: Uuid::new_v4(),
            name: format!("account {i}"),
            kind: AccountKind::Member,
        };
        store.upsert_account(&a).await.unwrap();
        accounts.push(a);
    }
    accounts
}

/// Stores the case on a fresh item and checks every viewer's list against the rules.
async fn check(store: &dyn Store, accounts: &[Account], limits: &Limits, case: &Case) {
    let at = now();
    let item = ItemRecord {
        id: Uuid::new_v4(),
        name: "rules".into(),
        app: "rules".into(),
        description: None,
        lang: "en".into(),
        settings: Default::default(),
        created_at: at,
        updated_at: at,
    };
    store.upsert_item(&item).await.unwrap();
    for (a, p) in accounts.iter().zip(&case.permissions) {
        if let Some(permission) = *p {
            store
                .set_membership(&MembershipRecord {
                    member: a.id,
                    item: item.id,
                    permission,
                })
                .await
                .unwrap();
        }
    }
    let mut stored = Vec::new();
    for (i, &(visibility, account, creator, ty)) in case.rows.iter().enumerate() {
        // Distinct times, so the expected order is the list's `(created_at, id)` order.
        let t = at + time::Duration::milliseconds(i64::try_from(i).unwrap());
        let row = AppDataRow {
            id: Uuid::new_v4(),
            item_id: item.id,
            account: accounts[account].member(),
            creator: creator.map(|c| accounts[c].member()),
            ty: TYPES[ty].into(),
            visibility,
            data: Default::default(),
            created_at: t,
            updated_at: t,
        };
        store.insert_app_data(&row, limits).await.unwrap();
        stored.push(row);
    }
    let ty = case.ty.map(|t| TYPES[t]);
    let viewers = accounts
        .iter()
        .zip(&case.permissions)
        .map(|(a, p)| Viewer {
            account: Some(AccountId(a.id)),
            permission: *p,
        })
        .chain([
            // An anonymous token (no account, no membership), and one claiming admin.
            Viewer {
                account: None,
                permission: None,
            },
            Viewer {
                account: None,
                permission: Some(Permission::Admin),
            },
        ]);
    for viewer in viewers {
        let expected: Vec<(i64, Uuid)> = stored
            .iter()
            .filter(|r| ty.is_none_or(|t| r.ty == t))
            .filter(|r| rules::can_see_row(viewer, r.parties()))
            .map(|r| (to_micros(r.created_at), r.id))
            .collect();
        let q = DataQuery {
            item: item.id,
            ty: ty.map(str::to_owned),
            scope: viewer.row_scope(),
            after: None,
            upto: None,
        };
        let streamed: Vec<(i64, Uuid)> = store
            .stream_app_data(q.clone())
            .map_ok(|r| (to_micros(r.created_at), r.id))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(streamed, expected, "streamed list of {viewer:?}");
        let positions = store.app_data_positions(&q, 1_000).await.unwrap();
        assert_eq!(positions, expected, "page positions of {viewer:?}");
        // The parties the rules read of a stored row are the ones it was written with.
        for r in store
            .stream_app_data(q)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
        {
            let original = stored.iter().find(|s| s.id == r.id).unwrap();
            assert_eq!(r.parties(), original.parties());
        }
    }
}

/// Runs the property on `store` (the runner drives `rt` from this thread).
fn run(rt: &tokio::runtime::Runtime, store: Arc<dyn Store>) {
    let accounts = rt.block_on(registry(&*store));
    let limits = test_config().server.limits();
    TestRunner::new(config(48))
        .run(&case(), |case| {
            rt.block_on(check(&*store, &accounts, &limits, &case));
            Ok(())
        })
        .unwrap();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

mod sqlite {
    use super::*;

    #[test]
    fn sql_list_filter_selects_what_the_rules_select() {
        let rt = runtime();
        let dir = tempfile::tempdir().unwrap();
        let store = rt.block_on(async {
            let s = appframe_server::store::SqliteStore::open(&dir.path().join("rules.db"))
                .await
                .unwrap();
            s.migrate().await.unwrap();
            Arc::new(s) as Arc<dyn Store>
        });
        run(&rt, store);
    }
}

mod postgres {
    use super::*;

    #[test]
    fn sql_list_filter_selects_what_the_rules_select() {
        let Some(Backend::Postgres(admin_url)) = Backend::postgres_from_env() else {
            eprintln!("skipped: set APPFRAME_TEST_DATABASE_URL to run on Postgres");
            return;
        };
        let rt = runtime();
        let (db, store) = rt.block_on(async {
            let (db, url) = PgDatabase::create(&admin_url).await;
            let s = appframe_server::store::PgStore::connect(&url)
                .await
                .unwrap();
            s.migrate().await.unwrap();
            (db, Arc::new(s) as Arc<dyn Store>)
        });
        run(&rt, store);
        // The pool closes before the database is dropped.
        drop(rt);
        drop(db);
    }
}
