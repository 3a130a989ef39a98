// A client of the appframe server written against the types openapi-typescript generates from
// the server's OpenAPI document (`schema.d.ts`, made by the OpenAPI suite of `cargo xtask
// test`). tsc type-checks it in that suite: a route, parameter or field that the document
// renames or leaves untyped fails the check. It is never run; it shows what a generated
// client looks like.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type AppData = components["schemas"]["AppData"];
type ErrorBody = components["schemas"]["ErrorBody"];

/** The Graasp error body of a failed call, as an exception. */
class ApiError extends Error {
  constructor(readonly body: ErrorBody) {
    super(`${body.code} ${body.name}: ${body.message}`);
  }
}

function fail(error: ErrorBody | undefined): never {
  if (error) throw new ApiError(error);
  throw new Error("no body");
}

/** An integration: provisions a member and an item, then acts as an app on it. */
export async function tour(
  baseUrl: string,
  apiKey: string,
  appName: string,
  appOrigin: string,
): Promise<void> {
  const admin = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${apiKey}` },
  });

  const app = await admin.GET("/api/admin/apps/{name}", {
    params: { path: { name: appName } },
  });
  if (!app.data) fail(app.error);
  const appKey: string = app.data.key;

  const member = await admin.POST("/api/admin/members", {
    body: { name: "Ana", kind: "member" },
  });
  if (!member.data) fail(member.error);
  const memberId: string = member.data.id;

  const item = await admin.POST("/api/admin/items", {
    body: { name: "Notes", app: appName, lang: "en" },
  });
  if (!item.data) fail(item.error);
  const itemId: string = item.data.id;

  const membership = await admin.POST("/api/admin/memberships", {
    body: { member: memberId, item: itemId, permission: "admin" },
  });
  if (!membership.data) fail(membership.error);

  const minted = await admin.POST("/api/admin/app-tokens", {
    body: { memberId, itemId, key: appKey, origin: appOrigin },
  });
  if (!minted.data) fail(minted.error);
  const token: string = minted.data.token;

  const api = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${token}` },
  });
  const item_id = itemId;

  const context = await api.GET("/api/app-items/{item_id}/context", {
    params: { path: { item_id } },
  });
  if (!context.data) fail(context.error);
  const members: string[] = context.data.members.map((m) => m.name);

  const created = await api.POST("/api/app-items/{item_id}/app-data", {
    params: { path: { item_id } },
    body: { type: "note", data: { text: "hello", members } },
  });
  if (!created.data) fail(created.error);
  const row: AppData = created.data;

  const patched = await api.PATCH("/api/app-items/{item_id}/app-data/{id}", {
    params: { path: { item_id, id: row.id } },
    body: { data: { text: "hello again" } },
  });
  if (!patched.data) fail(patched.error);
  const updatedAt: string = patched.data.updatedAt;

  const listed = await api.GET("/api/app-items/{item_id}/app-data", {
    params: { path: { item_id }, query: { type: "note", limit: 50 } },
  });
  if (!listed.data) fail(listed.error);
  const visible: AppData["visibility"][] = listed.data.map((r) => r.visibility);

  const setting = await api.POST("/api/app-items/{item_id}/app-settings", {
    params: { path: { item_id } },
    body: { name: "config", data: { colour: "yellow", updatedAt, visible } },
  });
  if (!setting.data) fail(setting.error);
  const settings = await api.GET("/api/app-items/{item_id}/app-settings", {
    params: { path: { item_id }, query: { name: "config" } },
  });
  if (!settings.data) fail(settings.error);
  const names: string[] = settings.data.map((s) => s.name);

  const action = await api.POST("/api/app-items/{item_id}/app-action", {
    params: { path: { item_id } },
    body: { type: "opened", data: { names } },
  });
  if (action.error) fail(action.error);
  const actions = await api.GET("/api/app-items/{item_id}/app-action", {
    params: { path: { item_id }, query: { accountId: memberId } },
  });
  if (!actions.data) fail(actions.error);
  const types: string[] = actions.data.map((a) => a.type);

  const deleted = await api.DELETE("/api/app-items/{item_id}/app-data/{id}", {
    params: { path: { item_id, id: row.id } },
  });
  if (deleted.data === undefined) fail(deleted.error);
  const deletedId: string = deleted.data;

  // Export as JSON lines, and import them into the same item: every row is already there.
  const exported = await admin.GET("/api/admin/items/{id}/export", {
    params: { path: { id: itemId }, query: { what: "app-actions", format: "jsonl" } },
    parseAs: "text",
  });
  if (exported.data === undefined) fail(exported.error);
  const lines: string = exported.data;
  const imported = await admin.POST("/api/admin/items/{id}/import", {
    params: { path: { id: itemId }, query: { what: "app-actions" } },
    body: lines,
    headers: { "Content-Type": "application/x-ndjson" },
    bodySerializer: (body) => (typeof body === "string" ? body : JSON.stringify(body)),
  });
  if (!imported.data) fail(imported.error);
  const refusedCodes: components["schemas"]["Refusal"][] = imported.data.refused.map(
    (r) => r.code,
  );
  const report = `${imported.data.imported} imported, ${imported.data.unchanged} unchanged`;
  console.log(types, deletedId, report, refusedCodes);
}
