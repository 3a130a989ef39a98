// {{title}}: an appframe app in plain JavaScript on the SDK's JS build (made by
// `cargo xtask new-app {{name}} --template js`).
//
// It shows its context (member, permission, language), posts one app-data row of type `row` per
// click on #add and lists the rows it can see, read back from the server. In the host it talks
// to the appframe server; opened alone the SDK runs in standalone mode (an in-browser mock).
//
// Element ids: #status (loading | ready | error: <code>), #member, #permission, #lang, #add,
// #rows (one li.row per row).

import init, { connect } from './sdk/appframe_sdk.js';

/** This app's key, registered for `{{name}}` in apps/dev.toml. */
const APP_KEY = '{{key}}';
/** The app-data type of the rows this app writes. */
const ROW = 'row';

const $ = (id) => document.getElementById(id);

/** Shows an SDK error's stable code (anything else thrown becomes `Error`). */
function showError(e) {
  $('status').textContent = `error: ${typeof e?.code === 'string' ? e.code : 'Error'}`;
  $('status').title = typeof e?.message === 'string' ? e.message : String(e);
}

/** Every visible row of type `row`, following the pages of the list. */
async function listRows(app) {
  const rows = [];
  let cursor;
  do {
    const page = await app.listAppData({ type: ROW, cursor });
    rows.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return rows;
}

function showRows(rows) {
  $('rows').replaceChildren(...rows.map((row) => {
    const li = document.createElement('li');
    li.className = 'row';
    li.textContent = typeof row.data?.text === 'string' ? row.data.text : row.id;
    return li;
  }));
}

async function main() {
  await init();
  const app = await connect({ key: APP_KEY });
  // Kept for the page's lifetime: stopping it (resize.stop()) would end auto-resize.
  const resize = app.autoResize();
  window.addEventListener('pagehide', () => resize.stop());
  // `ready` means the whole start-up worked: context, token and data.
  await app.authToken();
  const ctx = app.context();
  const { members } = await app.appContext();
  const me = members.find((m) => m.id === ctx.accountId)?.name ?? ctx.accountId ?? 'anonymous';
  $('member').textContent = me;
  $('permission').textContent = ctx.permission;
  $('lang').textContent = ctx.lang;
  showRows(await listRows(app));

  const add = $('add');
  add.addEventListener('click', async () => {
    add.disabled = true;
    try {
      await app.createAppData({ type: ROW, data: { text: `added by ${me}` }, visibility: 'item' });
      showRows(await listRows(app));
      $('status').textContent = 'ready';
    } catch (e) {
      showError(e);
    } finally {
      add.disabled = false;
    }
  });
  add.disabled = false;
  $('status').textContent = 'ready';
}

main().catch(showError);
