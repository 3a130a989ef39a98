// An app on @appframe/sdk: context and token from the host, one write read back.
import init, { connect } from '@appframe/sdk';
// The wasm through the package's `exports`: esbuild's `file` loader copies it beside the bundle
// and gives its path relative to the bundle (not to the page), hence `import.meta.url`.
import wasmUrl from '@appframe/sdk/appframe_sdk_bg.wasm';

const status = document.getElementById('status');

try {
  await init({ module_or_path: new URL(wasmUrl, import.meta.url) });
  const app = await connect({ key: new URLSearchParams(location.search).get('key') });
  const ctx = app.context();
  const token = await app.authToken();
  const row = await app.createAppData({ type: 'npm-check', data: { from: '@appframe/sdk' } });
  const { items } = await app.listAppData({ type: 'npm-check' });
  document.getElementById('result').textContent = JSON.stringify({
    standalone: app.isStandalone(),
    itemId: ctx.itemId,
    accountId: ctx.accountId,
    apiHost: ctx.apiHost,
    tokenParts: token.split('.').length,
    created: row.id,
    listed: items.map((r) => r.id),
  });
  status.textContent = 'ready';
} catch (e) {
  status.textContent = `error: ${e?.code ?? ''} ${e?.message ?? e}`;
}
