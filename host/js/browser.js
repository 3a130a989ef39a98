// The host bridge's browser work that is JavaScript on purpose: the default token request, and
// protocol v2's host side (docs/protocol-v2.md).
//
// Size policy: promises, timers, fetch, fullscreen and window.open written in Rust cost far more
// wasm-bindgen glue and async state machines than these lines: measured, the v2 host in Rust was
// +5.9 KB gzip of the host bridge package, which is held to 40 KB (docs/benchmarks.md). The bridge
// (Rust) keeps every check: origins, source window, item, port, rate limits. This file only acts
// on messages the bridge already accepted, and writes what goes back through the bridge.

// The default token request: POST `body` ({key, origin} as JSON) to `url` with the page's
// cookies. Resolves to the token; rejects with {code, message}: TOKEN_REQUEST_FAILED, or
// TOKEN_RATE_LIMITED for a 429 (with its Retry-After), the server's reason passed through.
export async function fetchToken(url, body) {
  const fail = (message, code = 'TOKEN_REQUEST_FAILED') => {
    throw { code, message };
  };
  let r;
  try {
    r = await fetch(url, {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body,
    });
  } catch (e) {
    fail(`network error: ${e?.message ?? e}`);
  }
  const text = await r.text().catch(() => '');
  let json;
  try { json = JSON.parse(text); } catch { /* not JSON: no fields */ }
  const str = (k) => (typeof json?.[k] === 'string' ? json[k] : null);
  if (!r.ok) {
    // The server's reason (e.g. INVALID_APP_ORIGIN) goes through, so the app can show it.
    const reason = str('message') !== null && str('code') !== null
      ? `${json.message} (${json.code})` : [...text].slice(0, 200).join('');
    const message = `HTTP ${r.status}: ${reason}`;
    const after = r.headers.get('retry-after');
    if (r.status === 429) fail(after ? `${message}; retry after ${after} s` : message, 'TOKEN_RATE_LIMITED');
    fail(message);
  }
  return str('token') ?? fail(`bad token response: no string \`token\` in ${JSON.stringify(text)}`);
}

// Protocol v2, the host side of one bridge: the app's lifecycle (ready, failure, close request,
// the ready deadline, teardown and its acknowledgement), display modes, links, and pings. What
// goes back to the app goes through the bridge (`call(0, type, text)`), which posts it on the
// port the app spoke on last and logs it. The page reaches it as `handle.lifecycle`.

export class V2Host {
  // frame: the iframe; item: its item id; call(op, type, text): 0 sends `text` (of `type`) to the
  // app and answers whether it was sent, 1 detaches the bridge; opts: the page's attachApp options
  // (onEvent, readyTimeoutMs), checked here and thrown at as the bridge's other options are.
  constructor(frame, item, call, opts) {
    const event = opts.onEvent;
    const readyMs = opts.readyTimeoutMs ?? 15000;
    if (event != null && typeof event !== 'function') throw new TypeError('onEvent must be a function');
    if (!(readyMs >= 0 && readyMs < Infinity)) throw new TypeError('readyTimeoutMs must be a number >= 0');
    Object.assign(this, { frame, item, call, event, mode: 'inline', waits: { TEARDOWN_ACK: [], PONG: [] } });
    // The frame enters or leaves fullscreen without the app asking (Esc, the page's own
    // control): the app learns it as its container's display mode, the page as an event.
    this.onFs = () => {
      const mode = document.fullscreenElement === frame ? 'fullscreen' : 'inline';
      if (mode === this.mode) return;
      this.mode = mode;
      this.send('CONTEXT_CHANGED', { container: { displayMode: mode } });
      this.emit({ type: 'display-mode', mode });
    };
    document.addEventListener('fullscreenchange', this.onFs);
    if (readyMs > 0) {
      this.timer = setTimeout(() => {
        if (!this.isReady) {
          this.emit({ type: 'failed', code: 'READY_TIMEOUT',
            message: `the app did not signal ready within ${readyMs} ms` });
        }
      }, readyMs);
    }
  }

  emit(e) {
    if (!this.gone && this.event) {
      try { this.event(e); } catch { /* the page's callback; its errors are the page's */ }
    }
  }

  send(type, payload) {
    return this.call(0, type, JSON.stringify({ type: `${type}_${this.item}`, payload }));
  }

  // CONTEXT_CHANGED with `c`, the changed fields (a plain JSON object): whether it was sent (only
  // to a v2 app, after its handshake).
  updateContext(c) {
    if (c === null || typeof c !== 'object' || Array.isArray(c)) {
      throw new TypeError('the context change must be a plain JSON object');
    }
    return this.send('CONTEXT_CHANGED', c);
  }

  // A v1 app had its context answered: that is its only sign of being ready.
  ready() {
    this.isReady = true;
    this.emit({ type: 'ready' });
  }

  // The bridge went: no more events.
  stop() {
    this.gone = true;
    clearTimeout(this.timer);
    document.removeEventListener('fullscreenchange', this.onFs);
  }

  // Why a v2 message of type `type` (without the item) cannot be handled, or ''.
  check(type, p) {
    if (type === 'OPEN_LINK' && typeof p?.url !== 'string') {
      return 'bad payload for OPEN_LINK: expected a string `url`';
    }
    if (type === 'REQUEST_DISPLAY_MODE' && p?.mode !== 'inline' && p?.mode !== 'fullscreen') {
      return 'bad payload for REQUEST_DISPLAY_MODE: `mode` must be "inline" or "fullscreen"';
    }
    return '';
  }

  // Handles a v2 message from the app that passed `check`.
  on(type, p) {
    const str = (v) => (typeof v === 'string' ? v : '');
    switch (type) {
      case 'POST_READY': this.ready(); break;
      case 'POST_FAILURE':
        this.emit({ type: 'failed', code: str(p?.code), message: str(p?.message) });
        break;
      case 'REQUEST_CLOSE': this.emit({ type: 'close-requested' }); break;
      case 'TEARDOWN_ACK':
      case 'PONG': {
        const waiting = this.waits[type];
        this.waits[type] = [];
        for (const resolve of waiting) resolve(true);
        break;
      }
      case 'PING': this.send('PONG'); break;
      case 'OPEN_LINK': {
        const why = openLink(p.url);
        if (why) this.send('OPEN_LINK_FAILURE', { code: 'LINK_REFUSED', message: why });
        else this.send('OPEN_LINK_SUCCESS');
        break;
      }
      case 'REQUEST_DISPLAY_MODE': this.displayMode(p.mode); break;
    }
  }

  // Inline at once (leaving fullscreen if the frame is in it); fullscreen only right after a user
  // gesture (a click in the app's frame activates its ancestors too) and if the browser allows it.
  displayMode(mode) {
    const fail = (code, message) => this.send('REQUEST_DISPLAY_MODE_FAILURE', { code, message });
    const granted = () => {
      // Asked for: answered here, not again as a context change.
      this.mode = mode;
      this.send('REQUEST_DISPLAY_MODE_SUCCESS', { mode });
      this.emit({ type: 'display-mode', mode });
    };
    if (mode === 'inline') {
      if (document.fullscreenElement === this.frame) document.exitFullscreen().catch(() => {});
      return granted();
    }
    if (!navigator.userActivation?.isActive) {
      return fail('USER_GESTURE_REQUIRED', 'fullscreen needs a user gesture in the app');
    }
    this.frame.requestFullscreen().then(granted,
      (e) => fail('DISPLAY_MODE_UNSUPPORTED', String(e?.message ?? e)));
  }

  // Sends TEARDOWN or PING and resolves to true when TEARDOWN_ACK or PONG arrives, to false after
  // `ms` or when nothing could be sent (a v1 app, no port).
  ask(type, payload, answer, ms) {
    return new Promise((resolve) => {
      if (!this.send(type, payload)) return resolve(false);
      this.waits[answer].push(resolve);
      setTimeout(resolve, ms, false);
    });
  }

  // PING: whether the app answered within `ms`.
  ping(ms = 1000) {
    return this.ask('PING', undefined, 'PONG', ms);
  }

  // TEARDOWN with `reason`, up to 500 ms for the acknowledgement, then the bridge detaches:
  // whether the app acknowledged.
  teardown(reason = 'removed') {
    return this.ask('TEARDOWN', { reason }, 'TEARDOWN_ACK', 500).then((acked) => {
      this.call(1, '', '');
      return acked;
    });
  }
}

// Opens an absolute http(s) URL in a new tab without an opener: '' when asked of the browser,
// else why not (`javascript:`, `data:`, relative URLs and other schemes are refused).
function openLink(url) {
  let u;
  try { u = new URL(url); } catch { return 'not an absolute URL'; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'only http and https links are opened';
  window.open(u.href, '_blank', 'noopener,noreferrer');
  return '';
}
