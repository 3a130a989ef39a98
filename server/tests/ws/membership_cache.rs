//! The websocket hub's membership cache on Postgres, across instances: each instance keeps the
//! memberships it checks events against until the database notifies a registry change on the
//! events' channel. A membership revoked through one instance (admin route) or by SQL stops
//! deliveries at another at once, and one granted again resumes them.

/// Only meaningful on Postgres (`postgres_only::`, skipped by the SQLite run).
mod postgres_only {
    use crate::*;

    async fn login(http: &reqwest::Client, base: &str, member: &str) -> String {
        let r = http
            .post(format!("{base}/api/login"))
            .json(&json!({"memberId": member}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        header_str(&r, "set-cookie")
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_membership_revoked_through_one_instance_stops_deliveries_at_another() {
        let Some(Backend::Postgres(admin_url)) = Backend::postgres_from_env() else {
            eprintln!(
                "skipped: set APPFRAME_TEST_DATABASE_URL to run the two-instance test on Postgres"
            );
            return;
        };
        let (_db, url) = PgDatabase::create(&admin_url).await;
        let dir = tempfile::tempdir().unwrap();
        let a = spawn_instance(dir.path(), "a", &url).await;
        let b = spawn_instance(dir.path(), "b", &url).await;
        let http = plain_client();
        // Carol (a reader) and Alice (an admin) listen on B; Bob writes through A.
        let mut carol = try_connect(&b.base, &cookie_auth(login(&http, &b.base, CAROL).await))
            .await
            .unwrap();
        carol.subscribe("app-data", NOTES_ITEM).await;
        let mut alice = try_connect(&b.base, &cookie_auth(login(&http, &b.base, ALICE).await))
            .await
            .unwrap();
        alice.subscribe("app-data", NOTES_ITEM).await;
        let bob_cookie = login(&http, &a.base, BOB).await;
        let r = http
            .post(format!(
                "{}/api/app-items/{NOTES_ITEM}/api-access-token",
                a.base
            ))
            .header(header::COOKIE, &bob_cookie)
            .json(&json!({"key": NOTES_KEY, "origin": APP_ORIGIN}))
            .send()
            .await
            .unwrap();
        let bob = AppClient {
            http: http.clone(),
            api: format!("{}/api", a.base),
            token: json_ok(r).await["token"].as_str().unwrap().to_owned(),
            origin: APP_ORIGIN.into(),
        };

        // Two events: B has read (and kept) the item's memberships.
        for text in ["first", "second"] {
            let posted = bob.post_data(NOTES_ITEM, note(text)).await;
            assert_eq!(carol.update("app-data", NOTES_ITEM, "post").await, posted);
            assert_eq!(alice.update("app-data", NOTES_ITEM, "post").await, posted);
        }

        // Revoked through A's admin route: the next event reaches Alice at B, not Carol.
        let r = http
            .delete(format!(
                "{}/api/admin/memberships/{NOTES_ITEM}/{CAROL}",
                a.base
            ))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "delete membership: {}", r.status());
        let posted = bob.post_data(NOTES_ITEM, note("after revoke")).await;
        assert_eq!(alice.update("app-data", NOTES_ITEM, "post").await, posted);
        carol.quiet().await;

        // Granted again through A: deliveries resume.
        let r = http
            .post(format!("{}/api/admin/memberships", a.base))
            .bearer_auth(API_KEY)
            .json(&json!({"member": CAROL, "item": NOTES_ITEM, "permission": "read"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "set membership: {}", r.status());
        let posted = bob.post_data(NOTES_ITEM, note("granted again")).await;
        assert_eq!(carol.update("app-data", NOTES_ITEM, "post").await, posted);
        assert_eq!(alice.update("app-data", NOTES_ITEM, "post").await, posted);

        // Revoked by SQL, through neither instance: the database itself tells them.
        {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            let deleted =
                sqlx::query("DELETE FROM memberships WHERE account_id = $1 AND item_id = $2")
                    .bind(CAROL.parse::<uuid::Uuid>().unwrap())
                    .bind(NOTES_ITEM.parse::<uuid::Uuid>().unwrap())
                    .execute(&mut conn)
                    .await
                    .unwrap();
            assert_eq!(deleted.rows_affected(), 1);
        }
        let posted = bob.post_data(NOTES_ITEM, note("after SQL revoke")).await;
        assert_eq!(alice.update("app-data", NOTES_ITEM, "post").await, posted);
        carol.quiet().await;
        drop((a, b));
    }
}
