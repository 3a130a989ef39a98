// JS notes: a plain-JavaScript appframe app using the SDK's JS facade (no bundler, no framework).
// Run: `cargo xtask serve`, then open the host at http://127.0.0.1:8080/ and the "JS notes" item;
// opened alone (http://127.0.0.1:8081/js-notes/) the SDK runs in standalone mode.
//
// Notes are app data of type `note` with `{text}`; the visibility (member or item) is chosen when
// a note is created. Delete buttons appear on notes the user created, or on all notes for admins
// (the server enforces its own rules; this only avoids offering what would be refused).
// Every failure is shown as `{code, message}`: `code` is the SDK's stable error code.
//
// Element ids used by the end-to-end tests: #status (loading | ready | error: <code>), #error,
// #lang, #theme, #fullscreen, #docs,
// #who, #note-text, #note-visibility, #add, li.note[data-id] with .text and button.delete,
// #chat-text, #chat-ask, #chat-answer (the chat bot: the server's configured backend, or
// Graasp's mock answer in standalone mode), #granted (the browser permissions the host granted,
// from appframe.toml; `unknown` when the host does not say).
// The visibility last chosen is kept per member in the storage shim (`app.storage()`), which
// works in a sandboxed frame where `localStorage` may throw or be partitioned; so is the draft of
// the note being typed (saved 1 s after the last keystroke, and at once when the host tears the
// app down, so closing the app mid-sentence loses nothing; restored at the next start).
// Notes of others arrive live through `app.subscribe('app-data', ...)`.
// Protocol v2 (docs/protocol-v2.md): the host's theme is applied as CSS variables (style.css
// reads --af-bg, --af-fg, --af-accent) and its language and permission changes are shown without
// a reload (#lang, #theme); the app tells the host when it is ready or failed; at teardown the
// writes still in flight are awaited, so a note added just before the host removes the frame is
// not lost; #fullscreen asks the host for fullscreen (a click is the user gesture it needs) and
// #docs opens a link through the host. Opened alone, a dev overlay switches theme and language.

import init, { connect } from './sdk/appframe_sdk.js';

/** The app key registered for `js-notes` in server/demo.toml. */
const APP_KEY = '106aa844-b6ec-4851-8685-9ca7d0be6238';
const NOTE = 'note';

const $ = (id) => document.getElementById(id);
const statusEl = $('status');
const errorEl = $('error');
const listEl = $('notes');
const textEl = $('note-text');
const addEl = $('add');

/** The SDK error as `{code, message}` (anything else thrown becomes code `Error`). */
function toError(e) {
  return {
    code: typeof e?.code === 'string' ? e.code : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(e),
  };
}

/** The app once connected (to report a later failure to the host). */
let connected = null;

/** Writes in flight: awaited at teardown. */
const pending = new Set();

function track(promise) {
  pending.add(promise);
  const done = () => pending.delete(promise);
  promise.then(done, done);
  return promise;
}

function showError(e) {
  const err = toError(e);
  statusEl.textContent = `error: ${err.code}`;
  errorEl.textContent = JSON.stringify(err, null, 2);
  errorEl.hidden = false;
}

function clearError() {
  statusEl.textContent = 'ready';
  errorEl.hidden = true;
  errorEl.textContent = '';
}

/** Every visible note, following pages (appframe servers paginate, Graasp returns one page). */
async function listNotes(app) {
  const notes = [];
  let cursor;
  do {
    const page = await app.listAppData({ type: NOTE, cursor });
    notes.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return notes;
}

/** Applies a change to the notes: post adds if absent, patch replaces, delete removes (by id).
 * Returns whether the list changed. */
function merge(notes, op, row) {
  const i = notes.findIndex((n) => n.id === row.id);
  if (op === 'delete') {
    if (i === -1) return false;
    notes.splice(i, 1);
    return true;
  }
  if (row.type !== NOTE) return false;
  if (i === -1) {
    notes.push(row);
    return true;
  }
  if (op !== 'patch') return false; // the echo of a note already shown
  // An older version (a change replayed onto a fresher list) never replaces a newer one.
  if (Date.parse(notes[i].updatedAt) > Date.parse(row.updatedAt)) return false;
  notes[i] = row;
  return true;
}

function canDelete(note, ctx) {
  if (ctx.permission === 'admin') return true;
  const owner = (note.creator ?? note.account)?.id;
  return owner !== undefined && owner === ctx.accountId;
}

/** What a note's card shows: a card is rebuilt only when this changes (an update of fields it
 * does not show leaves it alone). */
function cardKey(note, ctx) {
  return JSON.stringify([note.data?.text, metaText(note), canDelete(note, ctx)]);
}

function metaText(note) {
  return `${(note.creator ?? note.account)?.name ?? '?'} · ${note.visibility}`;
}

/** Cards by note id, with the key they were built for. */
const cards = new Map();

function card(view, note) {
  const { app, ctx } = view;
  const li = document.createElement('li');
  li.className = 'note';
  li.dataset.id = note.id;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = note.data?.text ?? '';
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = metaText(note);
  li.append(text, meta);
  if (canDelete(note, ctx)) {
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'delete';
    del.textContent = 'Delete';
    del.addEventListener('click', async () => {
      del.disabled = true;
      try {
        await app.deleteAppData(note.id);
        view.change('delete', note);
        clearError();
      } catch (e) {
        del.disabled = false;
        showError(e);
      }
    });
    li.append(del);
  }
  return li;
}

/** Shows `notes`, touching only the cards that changed: a card the user is clicking stays in the
 * page (rebuilding every card on every update would swallow a click that lands mid-update). */
function render(view) {
  const { ctx, notes } = view;
  const wanted = new Set(notes.map((n) => n.id));
  for (const [id, c] of cards) {
    if (!wanted.has(id)) {
      c.li.remove();
      cards.delete(id);
    }
  }
  let at = listEl.firstChild;
  for (const note of notes) {
    const key = cardKey(note, ctx);
    let c = cards.get(note.id);
    if (c === undefined || c.key !== key) {
      const li = card(view, note);
      if (c !== undefined) c.li.replaceWith(li);
      c = { li, key };
      cards.set(note.id, c);
    }
    if (c.li === at) {
      at = at.nextSibling;
    } else {
      listEl.insertBefore(c.li, at);
    }
  }
}

async function main() {
  await init();
  const app = await connect({ key: APP_KEY });
  connected = app;
  // Kept for the page's lifetime: stopping it (resize.stop()) would end auto-resize.
  const resize = app.autoResize();
  window.addEventListener('pagehide', () => resize.stop());
  await app.authToken();
  const ctx = app.context();
  app.applyTheme();
  $('lang').textContent = ctx.lang;
  $('theme').textContent = 'host default';
  const { members } = await app.appContext();
  const me = members.find((m) => m.id === ctx.accountId)?.name ?? 'anonymous';
  $('who').textContent = `${me} (${ctx.permission}, ${ctx.context})${app.isStandalone() ? ' · standalone mode' : ''}`;
  // The capability self-check: the permissions this code uses (its appframe.toml declares the
  // same) against what the host granted; the SDK warns in the console for each one missing.
  const caps = app.capabilities(['clipboard-write', 'forms']);
  $('granted').textContent = caps.granted === null ? 'unknown' : caps.granted.join(', ');
  const storage = app.storage();
  const visibilityEl = $('note-visibility');
  const saved = await storage.get('visibility');
  if (saved === 'member' || saved === 'item') visibilityEl.value = saved;
  visibilityEl.addEventListener('change', () => {
    storage.set('visibility', visibilityEl.value).catch(showError);
  });
  const draft = await storage.get('draft');
  if (draft) textEl.value = draft;
  let draftTimer = null;
  // One save after the other, so an older text never lands after a newer one.
  let draftSaved = Promise.resolve();
  const saveDraft = () => {
    clearTimeout(draftTimer);
    draftTimer = null;
    const text = textEl.value;
    draftSaved = draftSaved.catch(() => {}).then(() => storage.set('draft', text));
    return track(draftSaved);
  };
  textEl.addEventListener('input', () => {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(() => saveDraft().catch(showError), 1000);
  });
  // Teardown: the draft not saved yet is saved now, and every write in flight is awaited (the
  // host waits for the acknowledgement, up to its bound).
  app.onTeardown(() => {
    if (draftTimer !== null) saveDraft();
    return Promise.allSettled([...pending]);
  });
  const notes = await listNotes(app);
  const view = { app, ctx, notes, change: null };

  // Live updates: notes added, edited or deleted by others appear without a reload. The SDK
  // keeps one socket, reconnects by itself and says `resync` when updates may have been missed.
  // A refetch (after a reconnect or a server `resync`) may answer with a list read before a
  // change that arrived meanwhile (an echo, or the app's own write): such changes are kept and
  // applied again to the refetched list, and only the newest refetch counts.
  let fetching = 0;
  let duringFetch = null;
  const change = (op, row) => {
    duringFetch?.push([op, row]);
    if (merge(notes, op, row)) render(view);
  };
  view.change = change;
  render(view);
  app.onContextChange((change) => {
    if (change.lang) $('lang').textContent = change.lang;
    if (change.theme) $('theme').textContent = change.theme.mode;
    if (change.permission) {
      // Delete buttons follow the new permission (the server enforces it anyway).
      ctx.permission = change.permission;
      render(view);
    }
  });
  app.subscribe('app-data', (ev) => {
    if (ev.type === 'error') {
      showError(ev.error);
      return;
    }
    if (ev.type === 'resync') {
      const mine = ++fetching;
      duringFetch = [];
      listNotes(app).then((fresh) => {
        if (mine !== fetching) return;
        for (const [op, row] of duringFetch) merge(fresh, op, row);
        duringFetch = null;
        notes.splice(0, notes.length, ...fresh);
        render(view);
      }, (e) => {
        if (mine === fetching) duringFetch = null;
        showError(e);
      });
      return;
    }
    change(ev.op, ev.appData);
  });

  $('new-note').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = textEl.value.trim();
    if (!text) {
      showError({ code: 'Invalid', message: 'a note needs some text' });
      return;
    }
    addEl.disabled = true;
    try {
      const note = await track(app.createAppData({
        type: NOTE,
        data: { text },
        visibility: $('note-visibility').value,
      }));
      // The server's echo may have come first: merge, never push twice.
      change('post', note);
      textEl.value = '';
      saveDraft().catch(showError);
      clearError();
    } catch (e) {
      showError(e);
    } finally {
      addEl.disabled = false;
    }
  });
  const askEl = $('chat-ask');
  $('chat').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const content = $('chat-text').value.trim();
    if (!content) return;
    askEl.disabled = true;
    try {
      const answer = await app.chatBot([{ role: 'user', content }]);
      $('chat-answer').textContent = answer.completion ?? '(no answer)';
      clearError();
    } catch (e) {
      showError(e);
    } finally {
      askEl.disabled = false;
    }
  });
  const fullscreenEl = $('fullscreen');
  fullscreenEl.addEventListener('click', async () => {
    const want = fullscreenEl.dataset.mode === 'fullscreen' ? 'inline' : 'fullscreen';
    try {
      const granted = await app.requestDisplayMode(want);
      fullscreenEl.dataset.mode = granted;
      fullscreenEl.textContent = granted === 'fullscreen' ? 'Leave fullscreen' : 'Fullscreen';
      clearError();
    } catch (e) {
      showError(e);
    }
  });
  $('docs').addEventListener('click', (ev) => {
    ev.preventDefault();
    app.openLink(ev.currentTarget.href).then(clearError, showError);
  });
  askEl.disabled = false;
  addEl.disabled = false;
  statusEl.textContent = 'ready';
  app.ready();
}

main().catch((e) => {
  showError(e);
  // A host that shows its own error panel learns why (nothing is sent to a host without v2;
  // before the connection there is no host to tell).
  const err = toError(e);
  connected?.fail(err.code, err.message);
});
