// raw.mjs - the driver's MCP server over plain child_process pipes: what no
// SDK client would send (malformed lines, odd ids, huge lines, split and
// merged writes), every error code, the 2026-07-28 envelope, and the
// process lifecycle (stdin closed, SIGTERM, EPIPE, several copies, cwd /).

import net from 'node:net';
import {
  assert, check, nativeOnly, summary, rawSession, makeConfig, freePort, sleep, errorOf, envelope,
  shippedBinary, LEGACY_VERSIONS,
} from './lib.mjs';

// ---------------------------------------------------------------- B: JSON-RPC

await check('B5_B3_malformed_line_then_valid_request', async () => {
  const s = rawSession();
  await s.write('{"jsonrpc":"2.0","id":1,"method":\n');
  const e = await s.waitFor((m) => m.error);
  assert.equal(e.error.code, -32700);
  assert.ok(!('id' in e), 'an error for an unreadable line has no id');
  const r = await s.request('ping');
  assert.deepEqual(r.result, {});
  s.assertClean();
});

await check('B6_invalid_requests_get_32600', async () => {
  const s = rawSession();
  await s.write('{"hello":"world"}\n');
  let e = await s.waitFor((m) => m.error);
  assert.equal(e.error.code, -32600);
  assert.ok(!('id' in e));
  await s.write('[1,2]\n');                       // a batch before any 2025-03-26 session
  e = await s.waitFor((m) => m.error);
  assert.equal(e.error.code, -32600);
  await s.write('{"jsonrpc":"2.0","id":null,"method":"ping"}\n');
  e = await s.waitFor((m) => m.error);
  assert.equal(e.error.code, -32600);
  assert.ok(!('id' in e), 'never "id": null');
  s.assertClean();
});

await check('B1_ids_echoed_exactly_with_type', async () => {
  const s = rawSession();
  const ids = [0, '0', '42', -7, 2147483648, 'caf\u00e9 "q"', ''];
  for (const id of ids) {
    const r = await s.request('ping', undefined, id);
    assert.deepEqual(r.result, {});
    assert.equal(typeof r.id, typeof id);
    assert.equal(r.id, id);
  }
  s.assertClean();
});

await check('B1_big_ids_keep_every_digit', async () => {
  // JSON.parse would round 2^63-1: read the bytes instead.
  const s = rawSession();
  let out = '';
  s.child.stdout.on('data', (d) => { out += d; });
  await s.write('{"jsonrpc":"2.0","id":9223372036854775807,"method":"ping"}\n'
    + '{"jsonrpc":"2.0","id":-9223372036854775808,"method":"ping"}\n'
    + '{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}\n');
  await s.waitFor((m) => m.id !== undefined);
  await s.waitFor((m) => m.id !== undefined);
  await s.waitFor((m) => m.id !== undefined);
  assert.ok(out.includes('"id":9223372036854775807,'), out);
  assert.ok(out.includes('"id":-9223372036854775808,'), out);
  assert.ok(out.includes('"id":9007199254740993,'), out);
});

await check('B_every_error_code', async () => {
  const s = rawSession();
  await s.write('nonsense\n');
  assert.equal((await s.waitFor((m) => m.error)).error.code, -32700);
  await s.write('{"hello":"world"}\n');
  assert.equal((await s.waitFor((m) => m.error)).error.code, -32600);
  await s.initialize('2025-11-25');
  assert.equal(errorOf(await s.request('no/such/method')).code, -32601);
  assert.equal(errorOf(await s.request('server/discover', { _meta: envelope() })).code, -32601);
  assert.equal(errorOf(await s.request('tools/call', { name: 'nope' })).code, -32602);
  assert.equal(errorOf(await s.request('tools/list', { cursor: 'bogus' })).code, -32602);
  assert.equal(errorOf(await s.request('logging/setLevel', { level: 'loud' })).code, -32602);
  assert.equal(errorOf(await s.request('resources/read', { uri: 'test://broken' })).code, -32603);
  const nf = errorOf(await s.request('resources/read', { uri: 'test://missing' }));
  assert.equal(nf.code, -32002);
  assert.deepEqual(nf.data, { uri: 'test://missing' });
  s.assertClean();
});

await check('B4_notifications_get_no_response', async () => {
  const s = rawSession();
  await s.initialize();
  await s.notify('notifications/unknown', { x: 1 });
  await s.notify('notifications/cancelled', { requestId: 12345 });
  await s.write('{"jsonrpc":"2.0","method":42}\n');
  const r = await s.request('ping');      // answered in order: after anything the lines above got
  assert.deepEqual(r.result, {});
  assert.equal(s.messages.length, 2, 'only initialize and ping were answered');
  s.assertClean();
});

// ---------------------------------------------------------------- A: transport

await check('A6_two_messages_in_one_write_and_crlf', async () => {
  const s = rawSession();
  await s.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\r\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
  await s.waitFor((m) => m.id === 1);
  await s.waitFor((m) => m.id === 2);
  s.assertClean();
});

await check('A6_one_message_split_over_writes', async () => {
  const s = rawSession();
  const text = '{"jsonrpc":"2.0","id":"split","method":"ping"}\n';
  for (let i = 0; i < text.length; i += 7) {
    await s.write(text.slice(i, i + 7));
    await sleep(15);
  }
  const r = await s.waitFor((m) => m.id === 'split');
  assert.deepEqual(r.result, {});
  s.assertClean();
});

await check('A6_E9_a_5_MB_line_is_read_and_the_answer_cut', async () => {
  const s = rawSession();
  await s.initialize();
  const text = 'x'.repeat(5 * 1024 * 1024);
  const r = await s.request('tools/call', { name: 'echo', arguments: { text } });
  const out = r.result.content[0].text;
  assert.ok(out.length < 50000, `answer of ${out.length} characters`);
  assert.match(out, /\[neolith: output cut: 40000 of 5242880 bytes shown/);
  assert.deepEqual((await s.request('ping')).result, {});
  s.assertClean();
}, 60000);

await check('A6_a_line_over_mcp_max_line_is_discarded_whole', async () => {
  const s = rawSession({ conf: makeConfig('mcp max line: 64K\n') });
  await s.initialize();
  const text = 'y'.repeat(100 * 1024);
  await s.send({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'echo', arguments: { text } } });
  const e = await s.waitFor((m) => m.error);
  assert.equal(e.error.code, -32600);
  assert.ok(!('id' in e), 'the discarded line was never parsed: no id');
  assert.match(e.error.message, /65536 bytes/);
  assert.deepEqual((await s.request('ping')).result, {});   // answered after any answer to 99
  assert.ok(!s.messages.some((m) => m.id === 99), 'nothing half-parsed was answered');
  s.assertClean();
});

await check('A3_raw_bytes_are_valid_utf8_with_escapes', async () => {
  const s = rawSession();
  let bytes = Buffer.alloc(0);
  s.child.stdout.on('data', (d) => { bytes = Buffer.concat([bytes, Buffer.from(d)]); });
  await s.initialize();
  const r = await s.request('tools/call', { name: 'raw_bytes' });
  const text = r.result.content[0].text;
  assert.ok(text.includes('caf\uFFFD '));
  assert.ok(text.includes('\u001b[1;31mred'));
  assert.ok(text.includes('nul[\u0000]'));
  const wire = bytes.toString('latin1');
  assert.ok(wire.includes('\\u001B[1;31m'), 'ESC escaped on the wire');
  assert.ok(!wire.includes('\x1b'), 'no raw ESC byte on stdout');
  // round trip through a strict decoder
  new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  s.assertClean();
});

// ---------------------------------------------------------------- C: lifecycle

await check('C2_initialize_in_every_legacy_version', async () => {
  for (const v of LEGACY_VERSIONS) {
    const s = rawSession();
    const r = await s.initialize(v);
    assert.equal(r.protocolVersion, v);
    s.closeStdin();
    assert.equal((await s.waitExit()).code, 0);
  }
  const s = rawSession();
  assert.equal((await s.initialize('2099-12-31')).protocolVersion, '2025-11-25');
});

await check('C5_C9_ping_and_initialize_are_answered_while_the_provider_loads', async () => {
  const s = rawSession({ env: { NEOLITH_MCP_TEST_LOAD_MS: '1500' } });
  const t0 = Date.now();
  assert.deepEqual((await s.request('ping')).result, {});
  await s.initialize();
  const answered = Date.now() - t0;
  assert.ok(answered < 1000, `initialize took ${answered} ms while loading`);
  const list = await s.request('tools/list');
  assert.ok(Date.now() - t0 >= 1400, 'tools/list waited for the provider');
  assert.ok(list.result.tools.length > 0);
  s.assertClean();
});

await check('M_batches_only_under_2025_03_26', async () => {
  const s = rawSession();
  await s.initialize('2025-03-26');
  await s.write('[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow_count","arguments":{"steps":2,"delay_ms":50}}}]\n');
  const batch = await s.waitFor((m) => Array.isArray(m));
  assert.equal(batch.length, 2);
  assert.deepEqual(batch.map((m) => m.id).sort(), [1, 2]);
  const t = rawSession();
  await t.initialize('2025-06-18');
  await t.write('[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n');
  const e = await t.waitFor(() => true);
  assert.ok(!Array.isArray(e), 'never an array outside 2025-03-26');
  assert.equal(e.error.code, -32600);
  s.assertClean();
  t.assertClean();
});

// ---------------------------------------------------------------- O: 2026-07-28

await check('O_C10_discover_probe_then_modern_requests_then_initialize', async () => {
  const s = rawSession();
  const d = await s.request('server/discover', { _meta: envelope() });
  assert.equal(d.result.resultType, 'complete');
  assert.ok(d.result.supportedVersions.includes('2026-07-28'));
  assert.ok(d.result.supportedVersions.includes('2025-11-25'));
  assert.equal(typeof d.result.ttlMs, 'number');
  assert.equal(d.result._meta['io.modelcontextprotocol/serverInfo'].name, 'neolith');
  const bad = errorOf(await s.request('tools/list', {
    _meta: envelope({ 'io.modelcontextprotocol/protocolVersion': '2030-01-01' }) }));
  assert.equal(bad.code, -32022);
  assert.ok(bad.data.supported.includes('2026-07-28'));
  assert.equal(bad.data.requested, '2030-01-01');
  assert.equal(errorOf(await s.request('tools/list', { _meta: {} })).code, -32602);
  const list = await s.request('tools/list', { _meta: envelope() });
  assert.equal(list.result.resultType, 'complete');
  assert.equal(list.result.cacheScope, 'private');
  const nf = errorOf(await s.request('resources/read', { uri: 'test://missing', _meta: envelope() }));
  assert.equal(nf.code, -32602);
  assert.equal(errorOf(await s.request('ping', { _meta: envelope() })).code, -32601);
  // the same process still takes a legacy initialize (C10)
  assert.equal((await s.initialize('2025-06-18')).protocolVersion, '2025-06-18');
  s.assertClean();
});

// ---------------------------------------------------------------- lifecycle

await check('A7_stdin_closed_mid_request_finishes_it_and_exits_0_within_2_s', async () => {
  const s = rawSession();
  await s.initialize();
  await s.send({ jsonrpc: '2.0', id: 'slow', method: 'tools/call',
    params: { name: 'slow_count', arguments: { steps: 4, delay_ms: 100 } } });
  await sleep(50);
  const closed = Date.now();
  s.closeStdin();
  const r = await s.waitFor((m) => m.id === 'slow');
  assert.equal(r.result.content[0].text, 'counted to 4');
  const exit = await s.waitExit(3000);
  assert.equal(exit.code, 0);
  assert.ok(exit.at - closed < 2000, `exit ${exit.at - closed} ms after stdin closed`);
  s.assertClean();
});

await check('A7_stdin_closed_with_a_long_request_still_exits_within_2_s', async () => {
  const s = rawSession();
  await s.initialize();
  await s.send({ jsonrpc: '2.0', id: 'long', method: 'tools/call',
    params: { name: 'slow_count', arguments: { steps: 50, delay_ms: 1000 } } });
  await sleep(50);
  const closed = Date.now();
  s.closeStdin();
  const exit = await s.waitExit(3000);
  assert.equal(exit.code, 0);
  assert.ok(exit.at - closed < 2000, `exit ${exit.at - closed} ms after stdin closed`);
  s.assertClean();
});

// Windows has no SIGTERM: node's kill('SIGTERM') of wine ends the wine
// process itself, never reaching a handler of the driver, so under wine
// this case is skipped (nothing here tests the Windows console events).
await nativeOnly('Windows has no SIGTERM; sending it to wine kills wine, not a signal the driver can handle',
  'A9_sigterm_exits_0_within_2_s', async () => {
  const s = rawSession();
  await s.initialize();
  const t0 = Date.now();
  s.child.kill('SIGTERM');
  const exit = await s.waitExit(3000);
  assert.equal(exit.code, 0);
  assert.ok(exit.at - t0 < 2000);
  s.assertClean();
});

await check('A9_closed_stdout_is_a_disconnect_not_a_crash', async () => {
  const s = rawSession();
  await s.initialize();
  s.child.stdout.destroy();                       // the client stops reading
  await sleep(50);
  await s.write('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"huge_output","arguments":{"bytes":100000}}}\n');
  const exit = await s.waitExit(3000);
  assert.equal(exit.code, 0);
  assert.equal(exit.signal, null, 'not killed by SIGPIPE');
});

await check('A4_nothing_but_json_rpc_on_stdout_of_the_shipped_driver', async () => {
  const s = rawSession({ binary: shippedBinary });
  let out = '';
  s.child.stdout.on('data', (d) => { out += d; });
  await s.initialize();
  await s.request('tools/call', { name: 'driver_status' });
  s.closeStdin();
  assert.equal((await s.waitExit()).code, 0);
  for (const line of out.split('\n').filter((l) => l !== '')) {
    const m = JSON.parse(line);
    assert.equal(m.jsonrpc, '2.0');
  }
  assert.ok(out.endsWith('\n'));
  s.assertClean();
});

await check('H_a_telnet_login_is_logged_to_the_session', async () => {
  const port = await freePort();
  const s = rawSession({ conf: makeConfig(`mcp telnet: on\nport: ${port}\nbind address: 127.0.0.1\n`) });
  await s.initialize();
  // The server reads stdin on a worker and accepts telnet on the loop: a
  // ping answered proves `notifications/initialized` (sent just before)
  // was processed, so the login event is no longer held back (C6).
  await s.request('ping', {});
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => { sock.on('connect', resolve); sock.on('error', reject); });
  const m = await s.waitFor((x) => x.method === 'notifications/message');
  assert.equal(m.params.logger, 'login');
  assert.equal(m.params.level, 'notice');
  assert.match(m.params.data, /telnet client connected from 127\.0\.0\.1/);
  sock.destroy();
  s.assertClean();
});

await check('telnet_is_off_by_default_so_several_copies_run_at_once', async () => {
  const port = await freePort();
  const conf = makeConfig(`port: ${port}\n`);
  const sessions = [rawSession({ binary: shippedBinary, conf }), rawSession({ binary: shippedBinary, conf }),
    rawSession({ binary: shippedBinary, conf })];
  for (const s of sessions) {
    await s.initialize();
    const st = await s.request('tools/call', { name: 'driver_status' });
    assert.equal(st.result.structuredContent.telnet.listening, false);
  }
  // nobody listens on the configured port
  await new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    c.on('connect', () => { c.destroy(); reject(new Error('something listens')); });
    c.on('error', () => resolve());
  });
  for (const s of sessions) {
    s.closeStdin();
    assert.equal((await s.waitExit()).code, 0);
  }
});

await check('started_from_root_with_an_absolute_config', async () => {
  const s = rawSession({ binary: shippedBinary, cwd: '/' });
  await s.initialize();
  const r = await s.request('resources/read', { uri: 'neolith://driver/status' });
  const status = JSON.parse(r.result.contents[0].text);
  assert.ok(status.mudlibDirectory.endsWith('/mudlib'));
  s.closeStdin();
  assert.equal((await s.waitExit()).code, 0);
});

summary('raw');
