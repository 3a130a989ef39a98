// A host page on @appframe/host-bridge, as a platform would write it (see the package's README).
import init, { attachApp } from '@appframe/host-bridge';

const q = new URLSearchParams(location.search);
const state = document.getElementById('state');
const log = document.getElementById('log');

try {
  // No argument: the glue fetches appframe_host_bg.wasm beside this bundle.
  await init();
  const login = await fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ memberId: q.get('member') }),
  });
  if (!login.ok) throw new Error(`login failed: ${login.status}`);
  const appUrl = q.get('app');
  attachApp(document.getElementById('app'), {
    itemId: q.get('item'),
    appUrl,
    appOrigins: [new URL(appUrl).origin],
    context: { apiHost: `${location.origin}/api`, accountId: q.get('member'), permission: 'admin', context: 'player', lang: 'en' },
    onLog: (e) => {
      const li = document.createElement('li');
      li.className = `${e.direction} ${e.outcome}`;
      li.dataset.type = e.type;
      li.textContent = `${e.direction} ${e.type} ${e.outcome} ${e.reason ?? ''}`;
      log.append(li);
    },
  });
  state.textContent = 'attached';
} catch (e) {
  state.textContent = `error: ${e?.code ?? ''} ${e?.message ?? e}`;
}
