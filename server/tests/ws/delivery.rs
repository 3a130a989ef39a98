//! How updates reach the socket: several queued updates go out with one flush, and a client
//! message larger than a socket's read buffer still arrives whole.

use crate::*;

api_tests! {
    /// Updates committed together queue up at each connection, which writes what is queued
    /// with one flush: every subscriber still gets each update once, and all of them in the
    /// same order (the hub's).
    async fn a_burst_of_updates_reaches_every_subscriber_once_and_in_the_same_order(t) {
        let mut bob = connect(t, &cookie_auth(session_cookie(t, BOB).await)).await;
        bob.subscribe("app-data", NOTES_ITEM).await;
        let mut carol = connect(t, &cookie_auth(session_cookie(t, CAROL).await)).await;
        carol.subscribe("app-data", NOTES_ITEM).await;
        let app = t.app_for(ALICE, NOTES_ITEM).await;
        let posts = (0..40).map(|i| app.post_data(NOTES_ITEM, note(&format!("burst {i}"))));
        let mut posted: Vec<String> = futures::future::join_all(posts)
            .await
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect();
        let mut seen = Vec::new();
        for ws in [&mut bob, &mut carol] {
            let mut ids = Vec::new();
            for _ in 0..posted.len() {
                let got = ws.update("app-data", NOTES_ITEM, "post").await;
                ids.push(got["id"].as_str().unwrap().to_owned());
            }
            ws.quiet().await;
            seen.push(ids);
        }
        assert_eq!(seen[0], seen[1], "both subscribers see the updates in the same order");
        let mut once = seen[0].clone();
        once.sort();
        posted.sort();
        assert_eq!(once, posted, "each posted note arrives exactly once");
    }

    /// Sockets read into a small buffer (1 KiB) that grows for a larger message: a 20 kB
    /// request is read whole (its echo in the error has every byte) and the connection goes on.
    async fn a_client_message_larger_than_the_read_buffer_is_read_whole(t) {
        let mut ws = connect(t, &cookie_auth(session_cookie(t, BOB).await)).await;
        let channel = "x".repeat(20_000);
        let r = ws.request("subscribe", "app-data", &channel).await;
        assert_eq!(r["error"]["name"], "BAD_REQUEST", "{r}");
        assert_eq!(r["request"]["channel"].as_str(), Some(channel.as_str()));
        ws.subscribe("app-data", NOTES_ITEM).await;
        let posted = t.app_for(ALICE, NOTES_ITEM).await.post_data(NOTES_ITEM, note("after")).await;
        assert_eq!(ws.update("app-data", NOTES_ITEM, "post").await, posted);
    }
}
