// appframe boot: asks the host for the context while the page is still parsing, before the
// SDK's glue and wasm have loaded, so the host's answer (and the app token the host starts
// minting when GET_CONTEXT arrives) overlaps the download and compilation of the app.
//
// Use: as the first script of the app page, a classic inline script with the app key:
//   <script data-appframe-boot data-key="APP_KEY"></script>
// (`cargo xtask build` fills such an element with this file), or loaded with `src=`.
//
// When the host's answer arrives with its port, this script also sends GET_AUTH_TOKEN on that
// port, so the token is on its way before the wasm runs. It never listens on the port: the
// port stays unstarted and the host's reply waits in its queue until the SDK starts it.
//
// Contract with the SDK (app-sdk/src/embedded/boot.rs): the SDK, once it listens for the
// host's reply, calls `appframeBoot(text)` with the GET_CONTEXT text it would post. Only when
// that text is the one posted here does this claim the request: it answers 1, or 2 when it has
// also asked for the token on the port of the first answer; the host's messages received so far
// are then dispatched again to the window, where the SDK's listener reads them with its usual
// checks (source window, origin, item). Otherwise (another key, another SDK version, a page
// that is not embedded) it answers 0 and the SDK asks itself. Called once.
(function () {
  var me = document.currentScript, key = me && me.dataset.key;
  var item = (new URLSearchParams(location.search).get('itemId') || '').toLowerCase();
  if (!key || !item || parent === window) return;
  var ao = location.ancestorOrigins, host = ao && ao[0] && ao[0] !== 'null' ? ao[0] : '*';
  var sent = JSON.stringify({
    type: 'GET_CONTEXT_' + item,
    // The SDK's protocol-v2 announcement (app-sdk/src/wire/message.rs): the same text.
    payload: { key: key, origin: location.origin, appframe: { version: 2, features: ['lifecycle'] } },
  });
  var seen = [], asked = 0;
  function keep(e) {
    // Bounded: a host answers once; anything beyond is not worth keeping.
    if (e.source !== parent || (host !== '*' && e.origin !== host) || seen.length > 15) return;
    seen.push(e);
    try {
      // The first answer for this item: the SDK takes the first one too, so its port is the
      // one the SDK will listen on.
      if (!asked && e.ports[0] && JSON.parse(e.data).type === 'GET_CONTEXT_SUCCESS_' + item) {
        e.ports[0].postMessage(JSON.stringify({
          type: 'GET_AUTH_TOKEN_' + item,
          payload: { key: key, origin: location.origin },
        }));
        asked = 1;
      }
    } catch (_) {}
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
    removeEventListener('message', keep);
    if (text !== sent) return 0;
    // After the SDK's call returns: its listener is in place and not running.
    queueMicrotask(function () {
      seen.forEach(function (e) {
        dispatchEvent(new MessageEvent('message', {
          data: e.data, origin: e.origin, source: e.source, ports: Array.from(e.ports),
        }));
      });
    });
    return 1 + asked;
  };
})();
