// appframe boot: asks the host for the context while the page is still parsing, before the
// SDK's glue and wasm have loaded, so the host's answer (and the app token the host starts
// minting when GET_CONTEXT arrives) overlaps the download and compilation of the app.
//
// Use: as the first script of the app page, a classic inline script with the app key:
//   <script data-appframe-boot data-key="APP_KEY"></script>
// (`cargo xtask build` fills such an element with this file), or loaded with `src=`.
//
// Contract with the SDK (app-sdk/src/embedded/boot.rs): the SDK, once it listens for the
// host's reply, calls `appframeBoot(text)` with the GET_CONTEXT text it would post. Only when
// that text is the one posted here does this return true; the host's messages received so far
// are then dispatched again to the window, where the SDK's listener reads them with its usual
// checks (source window, origin, item). Otherwise (another key, another SDK version, a page
// that is not embedded) it returns false and the SDK asks itself. Called once.
(function () {
  var me = document.currentScript, key = me && me.dataset.key;
  var item = new URLSearchParams(location.search).get('itemId');
  if (!key || !item || parent === window) return;
  var ao = location.ancestorOrigins, host = ao && ao[0] && ao[0] !== 'null' ? ao[0] : '*';
  var sent = JSON.stringify({
    type: 'GET_CONTEXT_' + item.toLowerCase(),
    payload: { key: key, origin: location.origin },
  });
  var seen = [];
  function keep(e) {
    // Bounded: a host answers once; anything beyond is not worth keeping.
    if (e.source === parent && (host === '*' || e.origin === host) && seen.length < 16) seen.push(e);
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
    if (text !== sent) return false;
    // After the SDK's call returns: its listener is in place and not running.
    queueMicrotask(function () {
      seen.forEach(function (e) {
        dispatchEvent(new MessageEvent('message', {
          data: e.data, origin: e.origin, source: e.source, ports: Array.from(e.ports),
        }));
      });
    });
    return true;
  };
})();
