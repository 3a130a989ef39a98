//! The writers of the protocol's shapes the SDK writes (request bodies, and the rows the
//! standalone backend stores and answers): DTOs by member lists with [`writer!`].

use super::{ToJson, put, writer};
use crate::wire::text::{format_time, format_uuid};
use appframe_protocol::{
    AppAction, AppData, AppSetting, ChatBotMessage, CreateAppAction, CreateAppData,
    CreateAppSetting, ItemRef, KeyOrigin, Member, PatchData, Permission,
};
use serde_json::{Map, Value};
use uuid::Uuid;

impl ToJson for Permission {
    fn to_json(&self) -> Value {
        self.as_str().into()
    }
}

writer!(Member, |m| {
    "id" => id_value(m.id.0),
    "name" => m.name.as_str().into(),
});

writer!(ItemRef, |r| {
    "id" => id_value(r.id.0),
});

writer!(AppData, |d| {
    "id" => id_value(d.id.0),
    "item" => d.item.to_json(),
    "account" => d.account.to_json(),
    "member" => d.member.to_json(),
    "creator" => d.creator.as_ref().map_or(Value::Null, ToJson::to_json),
    "type" => d.ty.as_str().into(),
    "visibility" => d.visibility.as_str().into(),
    "data" => Value::Object(d.data.clone()),
    "createdAt" => format_time(&d.created_at).into(),
    "updatedAt" => format_time(&d.updated_at).into(),
});

writer!(AppAction, |a| {
    "id" => id_value(a.id.0),
    "account" => a.account.to_json(),
    "member" => a.member.to_json(),
    "type" => a.ty.as_str().into(),
    "data" => Value::Object(a.data.clone()),
    "createdAt" => format_time(&a.created_at).into(),
});

writer!(AppSetting, |s| {
    "id" => id_value(s.id.0),
    "name" => s.name.as_str().into(),
    "data" => Value::Object(s.data.clone()),
    "creator" => s.creator.as_ref().map_or(Value::Null, ToJson::to_json),
    "createdAt" => format_time(&s.created_at).into(),
    "updatedAt" => format_time(&s.updated_at).into(),
});

writer!(KeyOrigin, |k| {
    "key" => k.key.as_str().into(),
    "origin" => k.origin.as_str().into(),
});

impl ToJson for CreateAppData {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "data", Value::Object(self.data.clone()));
        put(&mut o, "type", self.ty.as_str().into());
        if let Some(v) = self.visibility {
            put(&mut o, "visibility", v.as_str().into());
        }
        if let Some(a) = self.account_id {
            put(&mut o, "accountId", id_value(a.0));
        }
        if let Some(m) = self.member_id {
            put(&mut o, "memberId", id_value(m.0));
        }
        Value::Object(o)
    }
}

writer!(PatchData, |p| {
    "data" => Value::Object(p.data.clone()),
});

writer!(CreateAppAction, |a| {
    "data" => Value::Object(a.data.clone()),
    "type" => a.ty.as_str().into(),
});

writer!(ChatBotMessage, |m| {
    "role" => m.role.as_str().into(),
    "content" => m.content.as_str().into(),
});

writer!(CreateAppSetting, |c| {
    "name" => c.name.as_str().into(),
    "data" => Value::Object(c.data.clone()),
});

fn id_value(u: Uuid) -> Value {
    Value::String(format_uuid(u))
}
