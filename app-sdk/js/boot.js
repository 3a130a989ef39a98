// appframe boot: asks the host for the context while the page is still parsing, before the
// SDK's glue and wasm have loaded, so the host's answer (and the app token the host starts
// minting when GET_CONTEXT arrives) overlaps the download and compilation of the app.
//
// Use: as the first script of the app page, a classic inline script with the app key:
//   <script data-appframe-boot data-key="APP_KEY"></script>
// (`cargo xtask build` fills such an element with this file), or loaded with `src=`.
//
// The token: this script's GET_CONTEXT announces protocol v2's `push-token`, so a host that
// offers it (in its answer's `appframe.features`) sends the token on the new port right after
// the context, with no request. With any other host (Graasp's, an older appframe), this script
// sends GET_AUTH_TOKEN on the port of the first answer as soon as that answer arrives. Either
// way the token is on its way before the wasm runs. It never listens on the port: the port stays
// unstarted and the token waits in its queue until the SDK starts it.
//
// Contract with the SDK (app-sdk/src/embedded/boot.rs): the SDK, once it listens for the
// host's reply, calls `appframeBoot(text)` with the GET_CONTEXT text it would post. Only when
// that text is this script's request without `push-token` (the SDK's own announcement, so the
// same SDK version and key) does this claim the request: it answers 2, "context and token
// asked for". The host's messages received so far are then dispatched again to the window, where
// the SDK's listener reads them with its usual checks (source window, origin, item); an answer
// still to come reaches both listeners, this one first, so the token is seen to before the SDK
// starts the port. Otherwise (another key, another SDK version, a page that is not embedded) it
// answers 0 and the SDK asks itself. Called once.
(function () {
  var me = document.currentScript, key = me && me.dataset.key;
  var item = (new URLSearchParams(location.search).get('itemId') || '').toLowerCase();
  if (!key || !item || parent === window) return;
  var ao = location.ancestorOrigins, host = ao && ao[0] && ao[0] !== 'null' ? ao[0] : '*';
  function ask(features) {
    return JSON.stringify({
      type: 'GET_CONTEXT_' + item,
      payload: { key: key, origin: location.origin, appframe: { version: 2, features: features } },
    });
  }
  // The SDK's protocol-v2 announcement (app-sdk/src/wire/message.rs), and this script's.
  var sdk = ask(['lifecycle']), sent = ask(['lifecycle', 'push-token']);
  var seen = [], asked = 0, claimed = 0;
  function keep(e) {
    if (e.source !== parent || (host !== '*' && e.origin !== host)) return;
    // Bounded: a host answers once; anything beyond is not worth keeping.
    if (!claimed && seen.length < 16) seen.push(e);
    if (asked) return;
    try {
      var m = JSON.parse(e.data);
      // The first answer for this item: the SDK takes the first one too, so its port is the
      // one the SDK will listen on.
      if (m.type === 'GET_CONTEXT_SUCCESS_' + item) {
        asked = 1;
        var f = ((m.payload || {}).appframe || {}).features;
        var pushed = Array.isArray(f) && f.indexOf('push-token') >= 0;
        if (e.ports[0] && !pushed) {
          e.ports[0].postMessage(JSON.stringify({
            type: 'GET_AUTH_TOKEN_' + item,
            payload: { key: key, origin: location.origin },
          }));
        }
      } else if (m.type === 'GET_CONTEXT_FAILURE_' + item) {
        asked = 1;
      }
    } catch (_) {}
    if (asked && claimed) removeEventListener('message', keep);
  }
  addEventListener('message', keep);
  try {
    parent.postMessage(sent, host);
  } catch (_) {
    removeEventListener('message', keep);
    return;
  }
  window.appframeBoot = function (text) {
    delete window.appframeBoot;
    if (text !== sdk) {
      removeEventListener('message', keep);
      return 0;
    }
    claimed = 1;
    // The first answer is in: nothing more to do here. Else this listener stays for it.
    if (asked) removeEventListener('message', keep);
    // After the SDK's call returns: its listener is in place and not running.
    queueMicrotask(function () {
      seen.forEach(function (e) {
        dispatchEvent(new MessageEvent('message', {
          data: e.data, origin: e.origin, source: e.source, ports: Array.from(e.ports),
        }));
      });
    });
    return 2;
  };
})();
