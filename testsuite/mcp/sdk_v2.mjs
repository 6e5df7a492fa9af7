// sdk_v2.mjs - the driver's MCP server driven by the official TypeScript
// SDK v2 client (@modelcontextprotocol/client): the legacy initialize in
// each version it speaks (supportedProtocolVersions), and the 2026-07-28
// revision through its own negotiation (server/discover probe, per-request
// _meta envelope, resultType/ttlMs checks, subscriptions/listen).

import { Client, ResourceNotFoundError } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import {
  assert, check, summary, onCleanup, makeConfig, sleep, testBinary, shippedBinary, driverCommand,
  LEGACY_VERSIONS, MODERN_VERSION,
} from './lib.mjs';

async function connect({ versions, negotiation, binary = testBinary, conf, env = {} } = {}) {
  const transport = new StdioClientTransport({
    ...driverCommand(binary, ['-f', conf ?? makeConfig(), '--mcp'], { ...env }),
    stderr: 'pipe',
  });
  const options = { capabilities: {} };
  if (versions !== undefined) options.supportedProtocolVersions = versions;
  if (negotiation !== undefined) options.versionNegotiation = negotiation;
  const client = new Client({ name: 'neolith-test-sdk-v2', version: '2.0.0' }, options);
  const errors = [];
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  onCleanup(() => client.close());
  return { client, transport, errors };
}

async function expectError(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

async function expectCode(promise, code) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.code, code, `${e.constructor.name}: ${e.message}`);
    return e;
  }
  assert.fail(`expected error ${code}`);
}

for (const version of LEGACY_VERSIONS) {
  await check(`C2_sdk_v2_initialize_in_${version}`, async () => {
    const { client, errors } = await connect({ versions: [version] });
    assert.equal(client.getNegotiatedProtocolVersion(), version);
    assert.equal(client.getProtocolEra(), 'legacy');
    const { tools } = await client.listTools();            // walks every page
    assert.ok(tools.length >= 70);
    const sum = await client.callTool({ name: 'add', arguments: { a: 1.5, b: 2 } });
    if (version >= '2025-06-18')
      assert.deepEqual(sum.structuredContent, { sum: 3.5 });
    const echo = await client.callTool({ name: 'echo', arguments: { text: 'v2' } });
    assert.equal(echo.content[0].text, 'v2');
    const { resources } = await client.listResources();
    assert.equal(resources.length, 64);
    const r = await client.readResource({ uri: 'test://static/hello.txt' });
    assert.equal(r.contents[0].text, 'Hello from the test provider.\n');
    // -32002 on the wire (raw.mjs checks the bytes); v2 surfaces it as its
    // era-neutral ResourceNotFoundError
    const nf = await expectError(client.readResource({ uri: 'test://missing' }));
    assert.ok(nf instanceof ResourceNotFoundError, `${nf.constructor.name}: ${nf.message}`);
    await expectCode(client.callTool({ name: 'nope', arguments: {} }), -32602);
    await client.ping();
    assert.deepEqual(errors.map(String), []);
  });
}

await check('O_C10_sdk_v2_auto_negotiates_2026_07_28', async () => {
  const { client, errors } = await connect({ negotiation: { mode: 'auto' } });
  assert.equal(client.getProtocolEra(), 'modern');
  assert.equal(client.getNegotiatedProtocolVersion(), MODERN_VERSION);
  const d = client.getDiscoverResult();
  assert.ok(d.supportedVersions.includes(MODERN_VERSION));
  assert.deepEqual(d.capabilities.tools, { listChanged: true });
  assert.match(client.getInstructions() ?? d.instructions, /test provider/);
  const again = await client.discover();
  assert.ok(again.supportedVersions.includes('2025-11-25'));
  const { tools } = await client.listTools();
  assert.ok(tools.length >= 70);
  const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 2 } });
  assert.deepEqual(sum.structuredContent, { sum: 4 });
  const bad = await client.callTool({ name: 'echo', arguments: { text: 1 } });
  assert.equal(bad.isError, true, 'argument errors are tool errors under 2026-07-28');
  const r = await client.readResource({ uri: 'test://counter' });
  assert.match(r.contents[0].text, /"count":/);
  await expectCode(client.readResource({ uri: 'test://missing' }), -32602);
  await expectCode(client.readResource({ uri: 'test://broken' }), -32603);
  await expectCode(client.callTool({ name: 'nope', arguments: {} }), -32602);
  assert.deepEqual(errors.map(String), []);
});

await check('O_sdk_v2_pinned_2026_07_28_listen_receives_changes', async () => {
  const { client } = await connect({ negotiation: { mode: { pin: MODERN_VERSION } } });
  const updated = [];
  const changed = [];
  client.setNotificationHandler('notifications/resources/updated', (n) => { updated.push(n.params.uri); });
  client.setNotificationHandler('notifications/tools/list_changed', () => { changed.push(1); });
  const sub = await client.listen({ toolsListChanged: true, resourceSubscriptions: ['test://counter'] });
  assert.deepEqual(sub.honoredFilter, { toolsListChanged: true, resourceSubscriptions: ['test://counter'] });
  await client.callTool({ name: 'bump_counter', arguments: {} });
  await client.callTool({ name: 'toggle_extra_tool', arguments: {} });
  for (let i = 0; i < 100 && (updated.length === 0 || changed.length === 0); i++) await sleep(10);
  assert.deepEqual(updated, ['test://counter']);
  assert.equal(changed.length, 1);
  await sub.close();                       // notifications/cancelled for the stream (sent)
  await client.callTool({ name: 'bump_counter', arguments: {} });
  // the server reads and answers in order (2026-07-28 has no ping: echo):
  // the cancel went first, and an update the bump sent would have come
  // before this answer
  await client.callTool({ name: 'echo', arguments: { text: 'after' } });
  assert.deepEqual(updated, ['test://counter'], 'nothing after the stream closed');
});

await check('I2_H4_sdk_v2_modern_progress_and_per_request_logging', async () => {
  const { client, errors } = await connect({ negotiation: { mode: { pin: MODERN_VERSION } } });
  const progress = [];
  const r = await client.callTool({ name: 'slow_count', arguments: { steps: 3, delay_ms: 30 } },
    { onprogress: (p) => progress.push(p.progress) });
  assert.equal(r.content[0].text, 'counted to 3');
  assert.deepEqual(progress, [1, 2]);
  const logs = [];
  client.setNotificationHandler('notifications/message', (n) => { logs.push(n.params); });
  await client.callTool({ name: 'emit_log', arguments: { level: 'error', message: 'no level asked', per_request: true } });
  await client.callTool({ name: 'emit_log', arguments: { level: 'error', message: 'session-wide', per_request: false } });
  await client.callTool({ name: 'emit_log', arguments: { level: 'error', message: 'asked', per_request: true },
    _meta: { 'io.modelcontextprotocol/logLevel': 'warning' } });
  // every log line came before this answer (2026-07-28 has no ping)
  await client.callTool({ name: 'echo', arguments: { text: 'after' } });
  assert.deepEqual(logs.map((l) => l.data), ['asked']);
  assert.deepEqual(errors.map(String), []);
});

await check('J1_sdk_v2_cancel_in_2026_07_28', async () => {
  const { client } = await connect({ negotiation: { mode: { pin: MODERN_VERSION } } });
  const ac = new AbortController();
  const call = client.callTool({ name: 'slow_count', arguments: { steps: 40, delay_ms: 100 } },
    { signal: ac.signal });
  setTimeout(() => ac.abort(), 200);
  await assert.rejects(call);
  assert.equal((await client.callTool({ name: 'echo', arguments: { text: 'ok' } })).content[0].text, 'ok');
});

await check('shipped_driver_with_sdk_v2_in_both_eras', async () => {
  for (const negotiation of [undefined, { mode: 'auto' }]) {
    const { client } = await connect({ binary: shippedBinary, negotiation });
    const r = await client.callTool({ name: 'driver_status', arguments: {} });
    assert.equal(r.structuredContent.driver, 'neolith');
    assert.match(client.getInstructions() ?? client.getDiscoverResult()?.instructions ?? '', /master object/);
    await client.close();
  }
});

summary('sdk-v2');
