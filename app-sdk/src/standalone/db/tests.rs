//! Tests of the standalone database: every route's rules and refusals, seeding, paging.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;
use crate::types::{ListFilter, NewAppData, Page};
use appframe_protocol::Visibility;
use serde_json::json;
use uuid::Uuid;

const ITEM: ItemId = ItemId(Uuid::from_u128(0x100));
const ADA: AccountId = AccountId(Uuid::from_u128(1)); // admin
const BOB: AccountId = AccountId(Uuid::from_u128(2)); // write
const CAT: AccountId = AccountId(Uuid::from_u128(3)); // read
const DAN: AccountId = AccountId(Uuid::from_u128(4)); // read

fn who(account: AccountId, permission: Permission) -> Caller {
    Caller {
        account: Some(account),
        permission,
    }
}
fn ada() -> Caller {
    who(ADA, Permission::Admin)
}
fn bob() -> Caller {
    who(BOB, Permission::Write)
}
fn cat() -> Caller {
    who(CAT, Permission::Read)
}
fn dan() -> Caller {
    who(DAN, Permission::Read)
}
fn anon() -> Caller {
    Caller {
        account: None,
        permission: Permission::Read,
    }
}

struct Ids(u128);
impl Ids {
    fn next(&mut self) -> Stamp {
        self.0 += 1;
        Stamp {
            id: RowId(Uuid::from_u128(0x1000 + self.0)),
            now: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(self.0 as i64),
        }
    }
}

fn db() -> MockDb {
    let m = |id, name: &str| Member {
        id,
        name: name.into(),
    };
    MockDb {
        version: DB_VERSION,
        members: vec![m(ADA, "Ada"), m(BOB, "Bob"), m(CAT, "Cat"), m(DAN, "Dan")],
        ..Default::default()
    }
}

fn obj(v: Value) -> JsonObject {
    v.as_object().cloned().unwrap()
}

fn types(p: &Page<AppData>) -> Vec<String> {
    p.items.iter().map(|d| d.ty.clone()).collect()
}

/// Cat writes one member row for herself, one item row, one member row for Dan; Dan writes
/// one member row for himself.
fn seeded() -> (MockDb, Ids) {
    let mut db = db();
    let mut ids = Ids(0);
    let d = |t: &str| NewAppData::new(t, obj(json!({"t": t})));
    db.create_app_data(&cat(), ITEM, &d("cat-own"), ids.next())
        .unwrap();
    db.create_app_data(
        &cat(),
        ITEM,
        &d("cat-item").with_visibility(Visibility::Item),
        ids.next(),
    )
    .unwrap();
    db.create_app_data(&cat(), ITEM, &d("cat-for-dan").for_account(DAN), ids.next())
        .unwrap();
    db.create_app_data(&dan(), ITEM, &d("dan-own"), ids.next())
        .unwrap();
    (db, ids)
}

#[test]
fn admin_sees_every_row_and_readers_see_item_rows_and_their_own() {
    let (db, _) = seeded();
    let all = ListFilter::default();
    assert_eq!(
        types(&db.list_app_data(&ada(), &all).unwrap()),
        ["cat-own", "cat-item", "cat-for-dan", "dan-own"]
    );
    // Cat created the row for Dan, so she sees it (the documented rule, not Graasp's bug).
    assert_eq!(
        types(&db.list_app_data(&cat(), &all).unwrap()),
        ["cat-own", "cat-item", "cat-for-dan"]
    );
    assert_eq!(
        types(&db.list_app_data(&dan(), &all).unwrap()),
        ["cat-item", "cat-for-dan", "dan-own"]
    );
    // Bob writes but is not admin: only the item row.
    assert_eq!(
        types(&db.list_app_data(&bob(), &all).unwrap()),
        ["cat-item"]
    );
}

#[test]
fn anonymous_viewers_cannot_use_strict_routes() {
    let (mut db, mut ids) = seeded();
    let e = db
        .list_app_data(&anon(), &ListFilter::default())
        .unwrap_err();
    assert_eq!(e, Error::http(401, "GERR027", "NOT_AUTHENTICATED"));
    let e = db
        .create_app_action(&anon(), "click", JsonObject::new(), ids.next())
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
    // Settings listing uses optional auth.
    assert!(db.list_app_settings(None).unwrap().is_empty());
}

#[test]
fn type_filter_is_exact_and_pages_follow_the_cursor() {
    let (db, _) = seeded();
    let p = db
        .list_app_data(&ada(), &ListFilter::of_type("cat-own"))
        .unwrap();
    assert_eq!(types(&p), ["cat-own"]);
    assert_eq!(p.next_cursor, None);
    let mut f = ListFilter {
        limit: Some(3),
        ..Default::default()
    };
    let p1 = db.list_app_data(&ada(), &f).unwrap();
    assert_eq!(types(&p1), ["cat-own", "cat-item", "cat-for-dan"]);
    f.cursor = p1.next_cursor.clone();
    assert!(f.cursor.is_some());
    let p2 = db.list_app_data(&ada(), &f).unwrap();
    assert_eq!(types(&p2), ["dan-own"]);
    assert_eq!(p2.next_cursor, None);
    f.cursor = Some("nonsense".into());
    assert_eq!(
        db.list_app_data(&ada(), &f).unwrap_err().status(),
        Some(400)
    );
}

#[test]
fn create_sets_account_creator_and_default_visibility() {
    let (mut db, mut ids) = seeded();
    let row = db
        .create_app_data(
            &cat(),
            ITEM,
            &NewAppData::new("note", JsonObject::new()).for_account(BOB),
            ids.next(),
        )
        .unwrap();
    assert_eq!(row.account.id, BOB);
    assert_eq!(row.member, row.account);
    assert_eq!(row.creator.as_ref().map(|c| c.id), Some(CAT));
    assert_eq!(row.visibility, Visibility::Member);
    assert_eq!(row.item.id, ITEM);
    let bad = NewAppData::new("ab", JsonObject::new());
    let err = db
        .create_app_data(&cat(), ITEM, &bad, ids.next())
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    // The server's message: the Display text of the protocol's validation error.
    let expected = validate_type("ab").unwrap_err().to_string();
    assert!(matches!(&err, Error::Http { message, .. } if *message == expected));
    let unknown =
        NewAppData::new("note", JsonObject::new()).for_account(AccountId(Uuid::from_u128(99)));
    let err = db
        .create_app_data(&cat(), ITEM, &unknown, ids.next())
        .unwrap_err();
    assert!(matches!(&err, Error::Http { status: 400, code, .. } if code == "AFERR025"));
}

#[test]
fn the_seed_stores_what_the_admin_author_would_create_and_refuses_what_they_could_not() {
    let ada_member = db().member(ADA).unwrap();
    let settings = vec![("config".to_owned(), obj(json!({"n": 1})))];
    let data = vec![
        SeedAppData {
            account_id: None,
            ty: "note".into(),
            visibility: Visibility::Item,
            data: obj(json!({"t": 1})),
        },
        SeedAppData {
            account_id: Some(BOB),
            ty: "note".into(),
            visibility: Visibility::Member,
            data: JsonObject::new(),
        },
    ];
    let mut created = db();
    let mut ids = Ids(0);
    created
        .create_app_setting(&ada(), "config", obj(json!({"n": 1})), ids.next())
        .unwrap();
    for d in &data {
        let input = NewAppData {
            ty: d.ty.clone(),
            data: d.data.clone(),
            visibility: Some(d.visibility),
            account_id: d.account_id,
        };
        created
            .create_app_data(&ada(), ITEM, &input, ids.next())
            .unwrap();
    }
    let mut seeded = db();
    let mut ids = Ids(0);
    seeded
        .seed(&ada_member, ITEM, &settings, &data, || ids.next())
        .unwrap();
    assert_eq!(seeded, created);

    let bad_type = [SeedAppData {
        ty: "ab".into(),
        ..data[0].clone()
    }];
    let err = db()
        .seed(&ada_member, ITEM, &[], &bad_type, || ids.next())
        .unwrap_err();
    let expected = validate_type("ab").unwrap_err().to_string();
    assert!(matches!(&err, Error::Http { status: 400, message, .. } if *message == expected));
    let bad_name = [(String::new(), JsonObject::new())];
    let err = db()
        .seed(&ada_member, ITEM, &bad_name, &[], || ids.next())
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    let stranger = [SeedAppData {
        account_id: Some(AccountId(Uuid::from_u128(99))),
        ..data[0].clone()
    }];
    let err = db()
        .seed(&ada_member, ITEM, &[], &stranger, || ids.next())
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[test]
fn a_patch_in_the_same_millisecond_as_the_last_change_is_still_newer() {
    let (mut db, mut ids) = seeded();
    let row = db
        .create_app_data(
            &ada(),
            ITEM,
            &NewAppData::new("note", JsonObject::new()),
            ids.next(),
        )
        .unwrap();
    let same = row.updated_at;
    let p1 = db
        .patch_app_data(&ada(), row.id, JsonObject::new(), same)
        .unwrap();
    assert_eq!(p1.updated_at, same + time::Duration::microseconds(1));
    let p2 = db
        .patch_app_data(&ada(), row.id, JsonObject::new(), same)
        .unwrap();
    assert!(p2.updated_at > p1.updated_at);
    // A clock that moved on is used as it is.
    let later = same + time::Duration::seconds(5);
    let p3 = db
        .patch_app_data(&ada(), row.id, JsonObject::new(), later)
        .unwrap();
    assert_eq!(p3.updated_at, later);

    let set = db
        .create_app_setting(&ada(), "style", JsonObject::new(), ids.next())
        .unwrap();
    let q = db
        .patch_app_setting(&ada(), set.id, JsonObject::new(), set.updated_at)
        .unwrap();
    assert!(q.updated_at > set.updated_at);
}

#[test]
fn patch_needs_creator_addressee_or_admin_and_never_touches_files() {
    let (mut db, mut ids) = seeded();
    let id = |db: &MockDb, t: &str| db.app_data.iter().find(|d| d.ty == t).unwrap().id;
    let now = OffsetDateTime::UNIX_EPOCH;
    let new = || obj(json!({"v": 2}));
    let cat_own = id(&db, "cat-own");
    assert_eq!(
        db.patch_app_data(&dan(), cat_own, new(), now).unwrap_err(),
        Error::http(403, "GAERR009", "CANNOT_MODIFY_OTHER_MEMBERS")
    );
    assert_eq!(
        db.patch_app_data(&cat(), cat_own, new(), now).unwrap().data,
        new()
    );
    // Write permission grants nothing more than read on others' rows, as on the server.
    assert_eq!(
        db.patch_app_data(&bob(), cat_own, new(), now).unwrap_err(),
        Error::http(403, "GAERR009", "CANNOT_MODIFY_OTHER_MEMBERS")
    );
    assert!(db.patch_app_data(&ada(), cat_own, new(), now).is_ok());
    // The addressed account may patch a row someone else created.
    let for_dan = id(&db, "cat-for-dan");
    assert!(db.patch_app_data(&dan(), for_dan, new(), now).is_ok());
    let meta = FileMeta {
        name: "a.txt".into(),
        mimetype: "text/plain".into(),
    };
    let f = db
        .create_app_data_file(&cat(), ITEM, &meta, ids.next())
        .unwrap();
    assert_eq!(f.ty, "file");
    assert_eq!(file_meta(&f.data), Some(meta));
    assert_eq!(
        db.patch_app_data(&ada(), f.id, new(), now)
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        db.patch_app_data(&ada(), RowId(Uuid::from_u128(7)), new(), now)
            .unwrap_err(),
        Error::http(404, "GAERR004", "APP_DATA_NOT_FOUND")
    );
}

#[test]
fn delete_needs_creator_addressee_or_admin() {
    let (mut db, _) = seeded();
    let id = |db: &MockDb, t: &str| db.app_data.iter().find(|d| d.ty == t).unwrap().id;
    let cat_item = id(&db, "cat-item");
    // Writing is not enough to delete someone else's row.
    assert_eq!(
        db.delete_app_data(&bob(), cat_item).unwrap_err().status(),
        Some(403)
    );
    assert_eq!(
        db.delete_app_data(&dan(), cat_item).unwrap_err().status(),
        Some(403)
    );
    assert_eq!(db.delete_app_data(&ada(), cat_item).unwrap().id, cat_item);
    let for_dan = id(&db, "cat-for-dan");
    assert!(db.delete_app_data(&dan(), for_dan).is_ok());
    assert_eq!(
        db.delete_app_data(&dan(), for_dan).unwrap_err().status(),
        Some(404)
    );
}

#[test]
fn files_are_downloadable_only_by_those_who_see_the_row() {
    let (mut db, mut ids) = seeded();
    let meta = FileMeta {
        name: "a.png".into(),
        mimetype: "image/png".into(),
    };
    let f = db
        .create_app_data_file(&cat(), ITEM, &meta, ids.next())
        .unwrap();
    assert_eq!(db.app_data_file(&cat(), f.id).unwrap(), meta);
    assert_eq!(db.app_data_file(&ada(), f.id).unwrap(), meta);
    assert_eq!(
        db.app_data_file(&dan(), f.id).unwrap_err().status(),
        Some(404)
    );
}

#[test]
fn readers_see_their_own_actions_and_admins_filter_freely() {
    let mut db = db();
    let mut ids = Ids(0);
    db.create_app_action(&cat(), "click", JsonObject::new(), ids.next())
        .unwrap();
    db.create_app_action(&dan(), "click", JsonObject::new(), ids.next())
        .unwrap();
    db.create_app_action(&dan(), "view", JsonObject::new(), ids.next())
        .unwrap();
    assert_eq!(db.list_app_actions(&cat(), None).unwrap().len(), 1);
    assert_eq!(db.list_app_actions(&dan(), Some(DAN)).unwrap().len(), 2);
    assert_eq!(
        db.list_app_actions(&dan(), Some(CAT)).unwrap_err(),
        Error::http(403, "GAERR006", "MEMBER_CANNOT_ADMIN_ITEM")
    );
    assert_eq!(db.list_app_actions(&ada(), None).unwrap().len(), 3);
    let cats = db.list_app_actions(&ada(), Some(CAT)).unwrap();
    assert_eq!(cats.len(), 1);
    assert_eq!(cats[0].account.id, CAT);
    assert_eq!(
        db.create_app_action(&cat(), "x", JsonObject::new(), ids.next())
            .unwrap_err()
            .status(),
        Some(400)
    );
}

#[test]
fn settings_writes_are_admin_only_and_reads_are_open() {
    let mut db = db();
    let mut ids = Ids(0);
    let now = OffsetDateTime::UNIX_EPOCH;
    let forbidden = Error::http(403, "GERR004", "MEMBER_CANNOT_ADMIN_ITEM");
    assert_eq!(
        db.create_app_setting(&bob(), "config", JsonObject::new(), ids.next())
            .unwrap_err(),
        forbidden
    );
    let s = db
        .create_app_setting(&ada(), "config", obj(json!({"a": 1})), ids.next())
        .unwrap();
    assert_eq!(s.creator.as_ref().map(|c| c.id), Some(ADA));
    db.create_app_setting(&ada(), "other", JsonObject::new(), ids.next())
        .unwrap();
    assert_eq!(db.list_app_settings(Some("config")).unwrap().len(), 1);
    assert_eq!(db.list_app_settings(None).unwrap().len(), 2);
    assert_eq!(
        db.patch_app_setting(&cat(), s.id, JsonObject::new(), now)
            .unwrap_err(),
        forbidden
    );
    assert_eq!(db.delete_app_setting(&bob(), s.id).unwrap_err(), forbidden);
    let meta = FileMeta {
        name: "logo.png".into(),
        mimetype: "image/png".into(),
    };
    assert_eq!(
        db.create_app_setting_file(&cat(), ITEM, None, &meta, ids.next())
            .unwrap_err(),
        forbidden
    );
    let f = db
        .create_app_setting_file(&ada(), ITEM, None, &meta, ids.next())
        .unwrap();
    assert_eq!(f.name, "file");
    assert_eq!(db.app_setting_file(&cat(), f.id).unwrap(), meta);
    assert_eq!(
        db.patch_app_setting(&ada(), f.id, JsonObject::new(), now)
            .unwrap_err()
            .status(),
        Some(403)
    );
    let patched = db
        .patch_app_setting(&ada(), s.id, obj(json!({"a": 2})), now)
        .unwrap();
    assert_eq!(patched.data, obj(json!({"a": 2})));
    assert_eq!(db.delete_app_setting(&ada(), s.id).unwrap().id, s.id);
    assert_eq!(
        db.delete_app_setting(&ada(), s.id).unwrap_err(),
        Error::http(404, "GAERR005", "APP_SETTING_NOT_FOUND")
    );
}

#[test]
fn the_context_lists_members_only_for_an_account() {
    let db = db();
    let item = standalone_item(
        ITEM,
        "Item",
        "en",
        JsonObject::new(),
        "http://x/".into(),
        OffsetDateTime::UNIX_EPOCH,
    );
    assert_eq!(db.app_context(&cat(), item.clone()).members.len(), 4);
    assert!(db.app_context(&anon(), item).members.is_empty());
}
