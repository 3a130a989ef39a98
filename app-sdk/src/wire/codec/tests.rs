//! The codec's readers and writers against the serde derives they replace, on the same texts.

#![allow(clippy::unwrap_used)]
use super::{FromJson, ToJson};
use appframe_protocol::{
    AppAction, AppContext, AppData, AppSetting, ChatBotAnswer, ChatBotMessage, CreateAppAction,
    CreateAppData, CreateAppSetting, ErrorBody, JsonObject, KeyOrigin, LocalContext, PatchData,
    Visibility,
};

fn read<T: FromJson>(text: &str) -> Result<T, String> {
    T::from_json(&serde_json::from_str(text).unwrap())
}

const ROW: &str = r#"{"id":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d","item":{"id":"1b4e28ba-2fa1-41d2-883f-0016d3cca427"},
        "account":{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","name":"Ann"},"member":{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","name":"Ann"},
        "creator":null,"type":"note","visibility":"item","data":{"n":1,"x":[true,null,"s",2.5]},
        "createdAt":"2025-04-17 11:07:30.123+00","updatedAt":"2025-04-17T11:07:31Z","extra":"ignored"}"#;

#[test]
fn rows_read_as_the_serde_derives_read_them() {
    let ours: AppData = read(ROW).unwrap();
    assert_eq!(ours, serde_json::from_str::<AppData>(ROW).unwrap());
    let action = r#"{"id":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d","account":{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","name":"A"},
            "member":{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","name":"A"},"type":"vote","data":{},"createdAt":"2025-01-01T00:00:00Z"}"#;
    let ours: AppAction = read(action).unwrap();
    assert_eq!(ours, serde_json::from_str::<AppAction>(action).unwrap());
    let setting = r#"{"id":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d","name":"config","data":{"a":{"b":"c"}},
            "createdAt":"2025-01-01T00:00:00.5+02:00","updatedAt":"2025-01-01T00:00:00Z"}"#;
    let ours: AppSetting = read(setting).unwrap();
    assert_eq!(ours, serde_json::from_str::<AppSetting>(setting).unwrap());
    assert_eq!(ours.creator, None);
    for answer in [
        r#"{"completion":"hi","model":"m"}"#,
        r#"{"completion":null,"model":"m"}"#,
        r#"{"completion":"hi"}"#,
    ] {
        let ours: ChatBotAnswer = read(answer).unwrap();
        assert_eq!(ours, serde_json::from_str::<ChatBotAnswer>(answer).unwrap());
    }
    assert!(read::<ChatBotAnswer>(r#"{"completion":7}"#).is_err());
}

#[test]
fn rows_written_read_back_equal_and_match_the_serde_text() {
    let row: AppData = read(ROW).unwrap();
    assert_eq!(AppData::from_json(&row.to_json()).unwrap(), row);
    assert_eq!(row.to_json(), serde_json::to_value(&row).unwrap());
    let setting = AppSetting {
        id: row.id,
        name: "n".into(),
        data: row.data.clone(),
        creator: Some(row.account.clone()),
        created_at: row.created_at,
        updated_at: row.updated_at,
    };
    assert_eq!(setting.to_json(), serde_json::to_value(&setting).unwrap());
    let action = AppAction {
        id: row.id,
        account: row.account.clone(),
        member: row.member.clone(),
        ty: "vote".into(),
        data: row.data.clone(),
        created_at: row.created_at,
    };
    assert_eq!(action.to_json(), serde_json::to_value(&action).unwrap());
}

#[test]
fn request_bodies_are_the_serde_encoding() {
    let row: AppData = read(ROW).unwrap();
    let create = CreateAppData {
        data: row.data.clone(),
        ty: "note".into(),
        visibility: Some(Visibility::Member),
        account_id: Some(row.account.id),
        member_id: None,
    };
    assert_eq!(create.to_json(), serde_json::to_value(&create).unwrap());
    let bare = CreateAppData {
        visibility: None,
        account_id: None,
        ..create
    };
    assert_eq!(bare.to_json(), serde_json::to_value(&bare).unwrap());
    let patch = PatchData {
        data: row.data.clone(),
    };
    assert_eq!(patch.to_json(), serde_json::to_value(&patch).unwrap());
    let action = CreateAppAction {
        data: JsonObject::new(),
        ty: "abc".into(),
    };
    assert_eq!(action.to_json(), serde_json::to_value(&action).unwrap());
    let message = ChatBotMessage {
        role: appframe_protocol::ChatBotRole::Assistant,
        content: "ok".into(),
    };
    assert_eq!(message.to_json(), serde_json::to_value(&message).unwrap());
    let setting = CreateAppSetting {
        name: "n".into(),
        data: JsonObject::new(),
    };
    assert_eq!(setting.to_json(), serde_json::to_value(&setting).unwrap());
    let ko = KeyOrigin {
        key: "k".into(),
        origin: "o".into(),
    };
    assert_eq!(ko.to_json(), serde_json::to_value(&ko).unwrap());
}

#[test]
fn contexts_read_with_the_protocol_defaults_and_legacy_member_id() {
    for text in [
        r#"{"apiHost":"http://h/api","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427"}"#,
        r#"{"apiHost":"http://h/api","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","memberId":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b",
                "permission":"admin","context":"player","lang":"fr","settings":{"a":1},"dev":true,"mobile":true,
                "appframe":{"version":1,"features":["ws"]},"unknown":5}"#,
        r#"{"apiHost":"h","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","accountId":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b",
                "memberId":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d","context":"somewhere-new","appframe":{"version":2}}"#,
    ] {
        let ours: LocalContext = read(text).unwrap();
        assert_eq!(
            ours,
            serde_json::from_str::<LocalContext>(text).unwrap(),
            "{text}"
        );
    }
    let bad = [
        "[1,2]",
        r#"{"apiHost":3,"itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427"}"#,
        r#"{"apiHost":"h","itemId":"x"}"#,
        r#"{"apiHost":"h","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","permission":"root"}"#,
        r#"{"apiHost":"h","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","appframe":{"version":1.5}}"#,
        r#"{"apiHost":"h","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","appframe":{"version":-1}}"#,
        r#"{"apiHost":"h","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","dev":"yes"}"#,
    ];
    for text in bad {
        assert!(read::<LocalContext>(text).is_err(), "{text}");
        assert!(
            serde_json::from_str::<LocalContext>(text).is_err(),
            "{text}"
        );
    }
}

#[test]
fn app_contexts_and_error_bodies_read_as_the_derives() {
    let ctx = r#"{"item":{"id":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","name":"App","description":null,"path":"1b4e28ba_2fa1",
            "lang":"en","settings":{},"type":"app","extra":{"app":{"url":"http://a/"}},"createdAt":"2025-01-01T00:00:00Z",
            "updatedAt":"2025-01-01T00:00:00Z"},"members":[{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","name":"Ann"}]}"#;
    let ours: AppContext = read(ctx).unwrap();
    assert_eq!(ours, serde_json::from_str::<AppContext>(ctx).unwrap());
    let body = r#"{"name":"N","code":"GAERR004","message":"M","statusCode":404,"origin":"o","data":{"a":1}}"#;
    let ours: ErrorBody = read(body).unwrap();
    assert_eq!(ours, serde_json::from_str::<ErrorBody>(body).unwrap());
    assert!(read::<ErrorBody>(r#"{"code":"c","message":"m"}"#).is_err());
    assert!(read::<AppData>(r#"{"id":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"}"#).is_err());
    assert!(read::<Vec<AppData>>(r#"{"0":1}"#).is_err());
}
