// sdk_v1.mjs - the driver's MCP server driven by the official TypeScript
// SDK v1 client (@modelcontextprotocol/sdk, StdioClientTransport): a session
// in every protocol version it speaks, every test tool and resource, and
// subscriptions, list changes, logging, progress, cancellation and close.
//
// The v1 client always offers its latest version (2025-11-25) in
// initialize; to run a session in an older one the transport's outgoing
// initialize is rewritten (the client accepts any version it supports).

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  McpError, LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema, EmptyResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  assert, check, summary, onCleanup, makeConfig, sleep, testBinary, shippedBinary, driverCommand,
  LEGACY_VERSIONS,
} from './lib.mjs';

async function connect({ version, binary = testBinary, conf, env = {} } = {}) {
  const transport = new StdioClientTransport({
    ...driverCommand(binary, ['-f', conf ?? makeConfig(), '--mcp'], { ...env }),
    stderr: 'pipe',
  });
  const seen = { version: null, inbound: [] };
  const send = transport.send.bind(transport);
  transport.send = (msg, opts) => {
    if (version !== undefined && msg.method === 'initialize')
      msg = { ...msg, params: { ...msg.params, protocolVersion: version } };
    return send(msg, opts);
  };
  const start = transport.start.bind(transport);
  transport.start = async () => {
    const inner = transport.onmessage;
    transport.onmessage = (m, extra) => {
      seen.inbound.push(m);
      if (m.result?.protocolVersion !== undefined && m.result?.serverInfo !== undefined)
        seen.version = m.result.protocolVersion;
      inner?.(m, extra);
    };
    return start();
  };
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'neolith-test-sdk-v1', version: '1.0.0' }, { capabilities: {} });
  const errors = [];
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  onCleanup(() => client.close());
  return { client, transport, seen, errors, stderr: () => stderr };
}

async function allTools(client) {
  const tools = [];
  let cursor;
  let pages = 0;
  do {
    const r = await client.listTools(cursor ? { cursor } : undefined);
    tools.push(...r.tools);
    cursor = r.nextCursor;
    pages++;
  } while (cursor);
  return { tools, pages };
}

async function allResources(client) {
  const resources = [];
  let cursor;
  do {
    const r = await client.listResources(cursor ? { cursor } : undefined);
    resources.push(...r.resources);
    cursor = r.nextCursor;
  } while (cursor);
  return resources;
}

async function expectMcpError(promise, code) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof McpError, `expected McpError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected error ${code}`);
}

const ARGS = {
  echo: { text: 'hello' },
  add: { a: 2, b: 3 },
  slow_count: { steps: 2, delay_ms: 20 },
  huge_output: { bytes: 100000 },
  emit_log: { level: 'info', message: 'from the test' },
  check_room: { room: 'hall' },
};

for (const version of LEGACY_VERSIONS) {
  await check(`C2_E_F_K_session_in_${version}_lists_and_calls_everything`, async () => {
    const { client, seen, errors } = await connect({ version });
    assert.equal(seen.version, version);
    assert.equal(client.getServerVersion().name, 'neolith');
    const caps = client.getServerCapabilities();
    assert.deepEqual(caps.tools, { listChanged: true });
    assert.deepEqual(caps.resources, { subscribe: true, listChanged: true });
    assert.deepEqual(caps.logging, {});

    const { tools, pages } = await allTools(client);
    assert.ok(pages >= 2, 'tools/list is paginated');
    assert.equal(tools.length, new Set(tools.map((t) => t.name)).size, 'no duplicates across pages');
    assert.ok(tools.length >= 70);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object');
      const result = await client.callTool({ name: t.name, arguments: ARGS[t.name] ?? {} });
      assert.ok(Array.isArray(result.content), t.name);
      if (t.name === 'fail') {
        assert.equal(result.isError, true);
      } else {
        assert.ok(!result.isError, `${t.name}: ${JSON.stringify(result)}`);
      }
      if (t.name === 'add') {
        if (version >= '2025-06-18') {
          assert.deepEqual(result.structuredContent, { sum: 5 });
          assert.ok(t.outputSchema);
        } else {
          assert.equal(result.structuredContent, undefined);
          assert.equal(t.outputSchema, undefined);
        }
        assert.equal(result.content[0].text, '{"sum":5.0}');
      }
      if (t.name === 'huge_output')
        assert.match(result.content[0].text, /\[neolith: output cut: 40000 of 100000 bytes shown/);
      if (t.name === 'raw_bytes')
        assert.ok(result.content[0].text.includes('caf\uFFFD \u001b[1;31mred'));
    }
    // argument errors: a tool error from 2025-11-25 on, -32602 before (E5)
    if (version >= '2025-11-25') {
      let r = await client.callTool({ name: 'check_room', arguments: { room: 'kitchen' } });
      assert.equal(r.isError, true);
      assert.match(r.content[0].text, /no such room/);
      r = await client.callTool({ name: 'echo', arguments: { text: 5 } });
      assert.equal(r.isError, true);
    } else {
      await expectMcpError(client.callTool({ name: 'check_room', arguments: { room: 'kitchen' } }), -32602);
      await expectMcpError(client.callTool({ name: 'echo', arguments: {} }), -32602);
    }
    await expectMcpError(client.callTool({ name: 'no_such_tool', arguments: {} }), -32602);

    const resources = await allResources(client);
    assert.equal(resources.length, 64);
    const hello = await client.readResource({ uri: 'test://static/hello.txt' });
    assert.equal(hello.contents[0].text, 'Hello from the test provider.\n');
    const bin = await client.readResource({ uri: 'test://binary' });
    assert.equal(bin.contents[0].blob, Buffer.from([0, 1, 0xfe, 0xff, 0x4d, 0x55, 0x44]).toString('base64'));
    const item = await client.readResource({ uri: 'test://item/999' });     // via the template
    assert.equal(item.contents[0].text, 'item 999');
    const templates = await client.listResourceTemplates();
    assert.equal(templates.resourceTemplates[0].uriTemplate, 'test://item/{n}');
    await expectMcpError(client.readResource({ uri: 'test://missing' }), -32002);
    await expectMcpError(client.readResource({ uri: 'test://broken' }), -32603);
    await expectMcpError(client.listTools({ cursor: 'not-a-cursor' }), -32602);
    await expectMcpError(client.request({ method: 'no/such/method', params: {} }, EmptyResultSchema), -32601);
    await client.ping();
    assert.deepEqual(errors, []);
  }, 60000);
}

await check('F6_subscribe_and_receive_an_update', async () => {
  const { client } = await connect();
  const updates = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { updates.push(n.params.uri); });
  await client.subscribeResource({ uri: 'test://counter' });
  const before = JSON.parse((await client.readResource({ uri: 'test://counter' })).contents[0].text).count;
  await client.callTool({ name: 'bump_counter', arguments: {} });
  for (let i = 0; i < 100 && updates.length === 0; i++) await sleep(10);
  assert.deepEqual(updates, ['test://counter']);
  const after = JSON.parse((await client.readResource({ uri: 'test://counter' })).contents[0].text).count;
  assert.equal(after, before + 1);
  await client.unsubscribeResource({ uri: 'test://counter' });
  await client.callTool({ name: 'bump_counter', arguments: {} });
  // the server answers in order: an update the bump sent would have come
  // before this ping's answer
  await client.ping();
  assert.equal(updates.length, 1, 'no update after unsubscribe');
  await expectMcpError(client.subscribeResource({ uri: 'test://static/hello.txt' }), -32002);
});

await check('E1_F7_tools_list_changed', async () => {
  const { client } = await connect();
  let changed = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
  let { tools } = await allTools(client);
  assert.ok(!tools.some((t) => t.name === 'extra_tool'));
  await client.callTool({ name: 'toggle_extra_tool', arguments: {} });
  for (let i = 0; i < 100 && changed === 0; i++) await sleep(10);
  assert.equal(changed, 1);
  ({ tools } = await allTools(client));
  assert.ok(tools.some((t) => t.name === 'extra_tool'));
  assert.equal((await client.callTool({ name: 'extra_tool', arguments: {} })).content[0].text, 'filler');
});

await check('H1_H2_logging_set_level_and_messages', async () => {
  const { client } = await connect();
  const logs = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { logs.push(n.params); });
  await client.setLoggingLevel('warning');
  await client.callTool({ name: 'emit_log', arguments: { level: 'info', message: 'quiet' } });
  await client.callTool({ name: 'emit_log', arguments: { level: 'error', message: 'loud' } });
  for (let i = 0; i < 100 && logs.length === 0; i++) await sleep(10);
  assert.deepEqual(logs, [{ level: 'error', logger: 'test', data: 'loud' }]);
  await expectMcpError(client.setLoggingLevel('verbose'), -32602);
});

await check('I2_I4_progress_increases_and_precedes_the_result', async () => {
  const { client, errors, seen } = await connect();
  const progress = [];
  const r = await client.callTool({ name: 'slow_count', arguments: { steps: 5, delay_ms: 40 } },
    undefined, { onprogress: (p) => progress.push(p) });
  assert.equal(r.content[0].text, 'counted to 5');
  assert.deepEqual(progress.map((p) => p.progress), [1, 2, 3, 4]);
  assert.ok(progress.every((p) => p.total === 5));
  assert.equal(progress[0].message, 'step 1 of 5');
  // on the wire: every progress notification came before the response
  const idx = seen.inbound.findIndex((m) => m.result?.content?.[0]?.text === 'counted to 5');
  const lastProgress = seen.inbound.map((m) => m.method).lastIndexOf('notifications/progress');
  assert.ok(lastProgress < idx);
  assert.deepEqual(errors.map(String), [], 'no "unknown token" (I4)');
});

await check('J1_cancel_a_running_tool', async () => {
  const { client, errors } = await connect();
  const ac = new AbortController();
  const started = Date.now();
  const call = client.callTool({ name: 'slow_count', arguments: { steps: 50, delay_ms: 100 } },
    undefined, { signal: ac.signal, onprogress: () => {} });
  setTimeout(() => ac.abort('changed my mind'), 250);
  await assert.rejects(call);
  assert.ok(Date.now() - started < 2000);
  const r = await client.callTool({ name: 'echo', arguments: { text: 'still here' } });
  assert.equal(r.content[0].text, 'still here');
  await sleep(300);
  assert.deepEqual(errors.map(String), [], 'nothing arrives for the cancelled request');
});

await check('A7_close_ends_the_server_with_status_0_in_under_2_s', async () => {
  const { client, transport } = await connect();
  await client.ping();
  const proc = transport._process;
  const t0 = Date.now();
  await client.close();
  const took = Date.now() - t0;
  assert.ok(took < 2000, `close took ${took} ms (the SDK escalates to SIGTERM at 2 s)`);
  for (let i = 0; i < 100 && proc.exitCode === null; i++) await sleep(10);
  assert.equal(proc.exitCode, 0);
  assert.equal(proc.signalCode, null);
});

await check('shipped_driver_offers_driver_status_honestly', async () => {
  const { client } = await connect({ binary: shippedBinary });
  assert.match(client.getInstructions(), /master object/);
  const caps = client.getServerCapabilities();
  assert.equal(caps.resources.subscribe, undefined);
  const { tools } = await allTools(client);
  assert.deepEqual(tools.map((t) => t.name), ['driver_status']);
  assert.equal(tools[0].annotations.readOnlyHint, true);
  const r = await client.callTool({ name: 'driver_status', arguments: {} });   // validated against outputSchema
  assert.equal(r.structuredContent.driver, 'neolith');
  assert.equal(r.structuredContent.telnet.listening, false);
  assert.equal(r.structuredContent.lpc.available, false);
  assert.equal(r.structuredContent.mcp.protocolVersion, '2025-11-25');
  assert.equal(r.structuredContent.mcp.client, 'neolith-test-sdk-v1');
  const res = await client.listResources();
  assert.deepEqual(res.resources.map((x) => x.uri), ['neolith://driver/status']);
  const read = await client.readResource({ uri: 'neolith://driver/status' });
  assert.equal(JSON.parse(read.contents[0].text).driver, 'neolith');
  await expectMcpError(client.readResource({ uri: 'neolith://driver/nothing' }), -32002);
});

summary('sdk-v1');
