// mudlib.mjs - the shipped driver (src/neolith) on a copy of the bundled
// mudlib, driven by the official TypeScript SDK v1 client: the tools and
// resources the master object offers (mudlib/secure/mcp.c), the agent
// character, the file sandbox, and a clean exit.
//
// The mudlib is copied to a scratch folder first: the agent walks in the
// world and the logs grow, and the source tree must stay as it is.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  McpError, LoggingMessageNotificationSchema, CallToolResultSchema,
  ToolListChangedNotificationSchema, ResourceUpdatedNotificationSchema,
  ResourceListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioClientTransportV2 } from '@modelcontextprotocol/client/stdio';
import { cpSync, existsSync, readFileSync, writeFileSync, mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assert, check, nativeOnly, summary, onCleanup, sleep, shippedBinary, freePort, driverCommand,
} from './lib.mjs';

const sourceMudlib = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'mudlib');

// A scratch copy of the bundled mudlib (no player saves, no logs); returns
// the path of its neolith.conf.  `set` replaces config keys ({ port: 0 });
// `append` is added at the end (keys the file only has commented out,
// like "admins: wizard\n").
function copyMudlib(set = {}, append = '') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'neolith-mcp-mudlib-'));
  const lib = path.join(dir, 'mudlib');
  cpSync(sourceMudlib, lib, { recursive: true });
  for (const sub of ['data/players', 'log']) {
    if (!existsSync(path.join(lib, sub)))
      continue;  // a fresh checkout has no log folder yet
    for (const f of readdirSync(path.join(lib, sub)))
      if (f !== '.gitkeep') unlinkSync(path.join(lib, sub, f));
  }
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const conf = path.join(lib, 'neolith.conf');
  let text = readFileSync(conf, 'utf8');
  for (const [key, value] of Object.entries(set))
    text = text.replace(new RegExp(`^${key}:.*$`, 'm'), `${key}: ${value}`);
  writeFileSync(conf, text + append);
  return conf;
}

async function connect(conf) {
  const transport = new StdioClientTransport({
    ...driverCommand(shippedBinary, ['-f', conf, '--mcp'], {}),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'neolith-test-mudlib', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  onCleanup(() => client.close());
  return { client, transport, stderr: () => stderr };
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

const text = (r) => r.content.filter((c) => c.type === 'text').map((c) => c.text).join('');

const BUNDLED = ['who_is_online', 'look', 'run_command', 'player_info', 'read_log', 'recompile'];

await check('E2_master_tools_listed_with_valid_schemas', async () => {
  const { client } = await connect(copyMudlib());
  assert.match(client.getInstructions(), /agent/);
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const n of ['driver_status', ...BUNDLED])
    assert.ok(names.includes(n), `tool ${n} missing from ${names}`);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object', t.name);
    assert.equal(typeof t.description, 'string', t.name);
    assert.ok(('neolith_' + t.name).length <= 60, t.name);
    assert.equal(typeof t.annotations.readOnlyHint, 'boolean', t.name);
    assert.equal(typeof t.annotations.destructiveHint, 'boolean', t.name);
    if (t.inputSchema.additionalProperties !== undefined)
      assert.equal(t.inputSchema.additionalProperties, false, t.name);
  }
  const st = await client.callTool({ name: 'driver_status', arguments: {} });
  assert.equal(st.structuredContent.lpc.available, true);
  assert.match(st.structuredContent.lpc.note, /secure\/master/);
  const recompile = tools.find((t) => t.name === 'recompile');
  assert.equal(recompile.annotations.destructiveHint, true);
  assert.deepEqual(tools.find((t) => t.name === 'run_command').inputSchema.required, ['command']);
});

await check('E4_who_is_online_empty_with_structured_content', async () => {
  const { client } = await connect(copyMudlib());
  const r = await client.callTool({ name: 'who_is_online', arguments: {} });   // checked against outputSchema
  assert.equal(r.isError, undefined);
  assert.deepEqual(r.structuredContent, { count: 0, players: [] });
  assert.match(text(r), /Nobody is online/);
});

await check('E4_look_at_the_start_room_describes_it', async () => {
  const { client } = await connect(copyMudlib());
  let r = await client.callTool({ name: 'look', arguments: {} });
  assert.match(text(r), /village square/i);
  assert.match(text(r), /Obvious exits/);
  r = await client.callTool({ name: 'look', arguments: { target: '/domains/start/tavern' } });
  assert.equal(r.isError, undefined);
  assert.match(text(r), /tavern/i);
});

await check('E4_run_command_as_the_agent_returns_its_output', async () => {
  const { client } = await connect(copyMudlib());
  let r = await client.callTool({ name: 'run_command', arguments: { command: 'look' } });
  assert.equal(r.isError, undefined);
  assert.match(text(r), /village square/i);
  r = await client.callTool({ name: 'run_command', arguments: { command: 'say hello' } });
  assert.match(text(r), /You say: hello/);
  // The agent lives in the world: the start room shows it now.
  r = await client.callTool({ name: 'look', arguments: {} });
  assert.match(text(r), /Agent/);
  r = await client.callTool({ name: 'run_command', arguments: { command: 'north' } });
  assert.match(text(r), /tavern/i);
  r = await client.callTool({ name: 'player_info', arguments: { name: 'agent' } });
  assert.equal(r.structuredContent.name, 'agent');
  assert.equal(r.structuredContent.online, true);
  assert.equal(r.structuredContent.agent, true);
  assert.equal(r.structuredContent.room, '/domains/start/tavern');
});

await check('E5_failing_tools_are_isError_results', async () => {
  const { client } = await connect(copyMudlib());
  let r = await client.callTool({ name: 'player_info', arguments: { name: 'nobody' } });
  assert.equal(r.isError, true);
  assert.match(text(r), /no character called 'nobody'/);
  r = await client.callTool({ name: 'read_log', arguments: { log: 'nosuch' } });
  assert.equal(r.isError, true);
  r = await client.callTool({ name: 'read_log', arguments: { log: '../secure/master.c' } });
  assert.equal(r.isError, true);
  r = await client.callTool({ name: 'recompile', arguments: { file: '/no/such/file' } });
  assert.equal(r.isError, true);
  r = await client.callTool({ name: 'look', arguments: { target: 'nobody' } });
  assert.equal(r.isError, true);
});

await check('E5_unknown_tool_is_32602', async () => {
  const { client } = await connect(copyMudlib());
  await expectMcpError(client.callTool({ name: 'no_such_tool', arguments: {} }), -32602);
});

await check('E9_read_log_returns_the_last_lines', async () => {
  const { client } = await connect(copyMudlib());
  // A run-time error lands in /log/runtime (the master's error_handler).
  const r = await client.callTool({ name: 'read_log', arguments: { log: 'neolith.log', lines: 5 } });
  assert.equal(r.isError, undefined);
  const lines = text(r).trimEnd().split('\n');
  assert.ok(lines.length >= 1 && lines.length <= 5, `${lines.length} lines`);
  assert.match(text(r), /\[info\]/);
});

await check('E4_recompile_reloads_an_object', async () => {
  const { client } = await connect(copyMudlib());
  const r = await client.callTool({ name: 'recompile', arguments: { file: '/domains/start/garden.c' } });
  assert.equal(r.isError, undefined, text(r));
  assert.match(text(r), /Recompiled \/domains\/start\/garden/);
});

await check('F2_F3_resources_list_and_read_a_mudlib_file', async () => {
  const { client } = await connect(copyMudlib());
  const { resources } = await client.listResources();
  const uris = resources.map((r) => r.uri);
  assert.ok(uris.includes('neolith://driver/status'));
  assert.ok(uris.includes('mud://who'));
  assert.ok(uris.includes('mudlib:///include/mudlib.h'), uris.join(' '));
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'mudlib:///{+path}'));
  let read = await client.readResource({ uri: 'mudlib:///include/mudlib.h' });
  assert.equal(read.contents[0].mimeType, 'text/x-c');
  assert.match(read.contents[0].text, /START_ROOM/);
  read = await client.readResource({ uri: 'mudlib:///std/room.c' });   // by the template
  assert.match(read.contents[0].text, /inherit/);
  read = await client.readResource({ uri: 'mud://who' });
  assert.match(read.contents[0].text, /Nobody is online/);
  read = await client.readResource({ uri: 'mud://object/domains/start/square' });
  assert.match(read.contents[0].text, /village square/i);
});

await check('F8_files_outside_the_mudlib_are_refused', async () => {
  const { client } = await connect(copyMudlib());
  for (const uri of ['mudlib:///../../../etc/passwd', 'mudlib:///%2e%2e/etc/passwd',
                     'mudlib:///no/such/file.c', 'file:///etc/passwd'])
    await expectMcpError(client.readResource({ uri }), -32002);
});

await check('H3_a_telnet_login_and_logout_are_logged_to_the_session', async () => {
  const port = await freePort();
  const { client } = await connect(copyMudlib({ 'mcp telnet': 'on', port }));
  const seen = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => seen.push(n.params));
  await client.setLoggingLevel('info');
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => { sock.on('connect', resolve); sock.on('error', reject); });
  for (let i = 0; i < 200 && !seen.some((p) => /connected/.test(String(p.data))); i++) await sleep(10);
  assert.ok(seen.some((p) => p.logger === 'game' && /connected/.test(String(p.data))), JSON.stringify(seen));
  sock.destroy();
  for (let i = 0; i < 200 && !seen.some((p) => /disconnected/.test(String(p.data))); i++) await sleep(10);
  assert.ok(seen.some((p) => /disconnected/.test(String(p.data))), JSON.stringify(seen));
});

// git in a scratch repository, never prompting, with a fixed identity.
// Under wine the driver (a Windows program) would need a Windows git.exe
// on its PATH to run the update; wine has none, so these cases run natively
// only (check_gitmcp_win32 runs src/git_run_win32.c on a stand-in child).
const NO_WINDOWS_GIT = 'the Windows driver runs git.exe for the update, and there is no Windows git under wine';
function git(cwd, ...args) {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org',
                              '-c', 'init.defaultBranch=master', ...args],
                      { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, stdio: 'pipe' }).toString();
}

await nativeOnly(NO_WINDOWS_GIT, 'I1_git_update_answers_later_with_progress', async () => {
  // upstream (bare) <- work (pushes changes); the driver runs on a clone.
  const conf = copyMudlib({ 'git update': 'on' });
  const src = path.dirname(conf);
  const top = path.dirname(src);
  git(src, 'init', '-q');
  git(src, 'add', '-A');
  git(src, 'commit', '-q', '-m', 'mudlib');
  git(top, 'clone', '-q', '--bare', src, 'upstream.git');
  git(top, 'clone', '-q', 'upstream.git', 'live');
  const { client } = await connect(path.join(top, 'live', 'neolith.conf'));
  let r = await client.callTool({ name: 'look', arguments: {} });
  assert.match(text(r), /fountain/);
  const square = path.join(src, 'domains', 'start', 'square.c');
  writeFileSync(square, readFileSync(square, 'utf8').replace(/fountain/g, 'statue'));
  git(src, 'commit', '-q', '-am', 'a statue');
  git(src, 'push', '-q', path.join(top, 'upstream.git'), 'HEAD:master');
  const progress = [];
  r = await client.callTool({ name: 'git_update', arguments: {} }, CallToolResultSchema,
                            { onprogress: (p) => progress.push(p) });
  assert.equal(r.isError, undefined, text(r));
  assert.ok(progress.length >= 1, 'no progress notification');
  for (let i = 1; i < progress.length; i++)
    assert.ok(progress[i].progress > progress[i - 1].progress);
  r = await client.callTool({ name: 'look', arguments: {} });
  assert.match(text(r), /statue/);
}, 60000);

// A mudlib file the master's mcp_tools() reads: recompiling it changes
// the tool list, and the client hears of it.
const EXTRA_TOOLS = `// test-only extra MCP tools
mapping *mcp_tools()
{
    return ({ ([ "name": "echo_back", "description": "Echoes its text.",
                 "inputSchema": ([ "type": "object",
                     "properties": ([ "text": ([ "type": "string" ]) ]) ]) ]) });
}

mixed mcp_call_tool(string name, mapping args, int id)
{
    if (name == "echo_back")
        return "echo: " + (args["text"] || "");
    return 0;
}
`;

await check('E1_F7_recompile_that_changes_the_tool_list_sends_list_changed', async () => {
  const conf = copyMudlib();
  const { client } = await connect(conf);
  let changed = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
  let { tools } = await client.listTools();
  assert.ok(!tools.some((t) => t.name === 'echo_back'));
  // a call that changes nothing: no notification
  await client.callTool({ name: 'recompile', arguments: { file: '/domains/start/garden' } });
  // The lists are re-checked right after a tool's answer, so any notice
  // is on stdout before the answer to a later request: a ping settles it.
  await client.ping();
  assert.equal(changed, 0, 'list_changed without a change');
  writeFileSync(path.join(path.dirname(conf), 'secure', 'mcp_tools_extra.c'), EXTRA_TOOLS);
  const r = await client.callTool({ name: 'recompile', arguments: { file: '/secure/mcp_tools_extra' } });
  assert.equal(r.isError, undefined, text(r));
  await client.ping();
  assert.equal(changed, 1, 'no notifications/tools/list_changed');
  ({ tools } = await client.listTools());
  assert.ok(tools.some((t) => t.name === 'echo_back'), JSON.stringify(tools.map((t) => t.name)));
  const e = await client.callTool({ name: 'echo_back', arguments: { text: 'hi' } });
  assert.equal(text(e), 'echo: hi');
});

await nativeOnly(NO_WINDOWS_GIT, 'E1_a_git_update_that_adds_a_tool_sends_list_changed', async () => {
  const conf = copyMudlib({ 'git update': 'on' });
  const src = path.dirname(conf);
  const top = path.dirname(src);
  git(src, 'init', '-q');
  git(src, 'add', '-A');
  git(src, 'commit', '-q', '-m', 'mudlib');
  git(top, 'clone', '-q', '--bare', src, 'upstream.git');
  git(top, 'clone', '-q', 'upstream.git', 'live');
  const { client } = await connect(path.join(top, 'live', 'neolith.conf'));
  let changed = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
  let { tools } = await client.listTools();
  assert.ok(!tools.some((t) => t.name === 'echo_back'));
  writeFileSync(path.join(src, 'secure', 'mcp_tools_extra.c'), EXTRA_TOOLS);
  git(src, 'add', '-A');
  git(src, 'commit', '-q', '-m', 'an extra tool');
  git(src, 'push', '-q', path.join(top, 'upstream.git'), 'HEAD:master');
  const r = await client.callTool({ name: 'git_update', arguments: {} });
  assert.equal(r.isError, undefined, text(r));
  await client.ping();   // the re-check follows the deferred answer (see above)
  assert.equal(changed, 1, 'no notifications/tools/list_changed after the update');
  ({ tools } = await client.listTools());
  assert.ok(tools.some((t) => t.name === 'echo_back'));
}, 60000);

// Logs in over telnet as a new character; resolves when the body is in.
async function telnetLogin(port, name, password) {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => { sock.on('connect', resolve); sock.on('error', reject); });
  let got = '';
  sock.on('data', (d) => { got += d.toString('latin1'); });
  const waitFor = async (re) => {
    for (let i = 0; i < 300 && !re.test(got); i++) await sleep(10);
    assert.match(got, re);
    got = '';
  };
  await waitFor(/name.*: $/i);
  sock.write(`${name}\r\n`);
  await waitFor(/password/i);
  sock.write(`${password}\r\n`);
  await waitFor(/again/i);
  sock.write(`${password}\r\n`);
  return sock;
}

await check('F6_H3_who_subscription_and_login_name_on_a_telnet_login', async () => {
  const port = await freePort();
  const { client } = await connect(copyMudlib({ 'mcp telnet': 'on', port }));
  assert.equal(client.getServerCapabilities().resources.subscribe, true);
  const updated = [];
  const logs = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated.push(n.params.uri));
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(String(n.params.data)));
  await client.setLoggingLevel('info');
  await client.subscribeResource({ uri: 'mud://who' });
  const sock = await telnetLogin(port, 'zelda', 'secret123');
  for (let i = 0; i < 300 && !logs.some((l) => /zelda/.test(l)); i++) await sleep(10);
  assert.ok(logs.some((l) => /login: zelda/.test(l)), JSON.stringify(logs));
  // the view is read again when the login's LPC run ends, after its log
  // line went out and before a later request's answer: a ping orders it
  await client.ping();
  assert.ok(updated.includes('mud://who'), 'no notifications/resources/updated');
  const r = await client.readResource({ uri: 'mud://who' });
  assert.match(r.contents[0].text, /Zelda/);
  const before = updated.length;
  sock.destroy();
  for (let i = 0; i < 300 && updated.length === before; i++) await sleep(10);
  assert.ok(updated.length > before, 'no update on logout');
  for (let i = 0; i < 300 && !logs.some((l) => /disconnected: zelda/.test(l)); i++) await sleep(10);
  assert.ok(logs.some((l) => /disconnected: zelda/.test(l)), JSON.stringify(logs));
  // unsubscribed: no more updates
  await client.unsubscribeResource({ uri: 'mud://who' });
  const n = updated.length;
  const again = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => again.on('connect', resolve));
  await sleep(200);
  again.destroy();
  await sleep(100);
  assert.equal(updated.length, n, 'update after unsubscribe');
});

// A telnet player (a new character) who can type commands: command(line,
// re) sends the line and waits until the output matches re (polling the
// received text, with a deadline).
async function telnetPlayer(port, name, password) {
  const sock = net.connect(port, '127.0.0.1');
  onCleanup(() => sock.destroy());
  await new Promise((resolve, reject) => { sock.on('connect', resolve); sock.on('error', reject); });
  let got = '';
  sock.on('data', (d) => { got += d.toString('latin1'); });
  const waitFor = async (re) => {
    for (let i = 0; i < 1000 && !re.test(got); i++) await sleep(10);
    assert.match(got, re);
    const out = got;
    got = '';
    return out;
  };
  await waitFor(/name.*: $/i);
  sock.write(`${name}\r\n`);
  await waitFor(/password/i);
  sock.write(`${password}\r\n`);
  await waitFor(/again/i);
  sock.write(`${password}\r\n`);
  await waitFor(/> $/);
  return {
    sock,
    command: (line, re) => {
      got = '';
      sock.write(`${line}\r\n`);
      return waitFor(re);
    },
  };
}

// Counts the list_changed and resources/updated notifications a client gets.
function watchNotifications(client) {
  const n = { tools: 0, resources: 0, updated: [] };
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => { n.tools++; });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => { n.resources++; });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (m) => { n.updated.push(m.params.uri); });
  return n;
}

// The notices of an `update` typed over telnet are queued before the
// command's output is flushed to the player, so once the output is seen a
// ping's answer comes after them: the ping orders the checks.
await check('E1_F7_an_admin_update_over_telnet_sends_list_changed_only_on_a_change', async () => {
  const port = await freePort();
  const conf = copyMudlib({ 'mcp telnet': 'on', port }, 'admins: wizard\n');
  const mcpFile = path.join(path.dirname(conf), 'secure', 'mcp.c');
  const { client } = await connect(conf);
  const n = watchNotifications(client);
  let { tools } = await client.listTools();
  let { resources } = await client.listResources();
  assert.equal(tools.find((t) => t.name === 'who_is_online').title, 'Who is online');
  const wizard = await telnetPlayer(port, 'wizard', 'secret123');
  // reloads that change no list: nothing
  await wizard.command('update /domains/start/garden', /Updated \/domains\/start\/garden/);
  await wizard.command('update /secure/mcp', /Updated \/secure\/mcp/);
  await client.ping();
  assert.deepEqual([n.tools, n.resources], [0, 0], 'list_changed without a change');
  // a tool's title changes in the object that defines the tools
  writeFileSync(mcpFile, readFileSync(mcpFile, 'utf8')
    .replace('tool("who_is_online", "Who is online",', 'tool("who_is_online", "Who is online now",'));
  await wizard.command('update /secure/mcp', /Updated \/secure\/mcp/);
  await client.ping();
  assert.deepEqual([n.tools, n.resources], [1, 0]);
  ({ tools } = await client.listTools());
  assert.equal(tools.find((t) => t.name === 'who_is_online').title, 'Who is online now');
  // a resource's title changes
  writeFileSync(mcpFile, readFileSync(mcpFile, 'utf8')
    .replace('"name": "who", "title": "Who is online",', '"name": "who", "title": "Who is on",'));
  await wizard.command('update /secure/mcp', /Updated \/secure\/mcp/);
  await client.ping();
  assert.deepEqual([n.tools, n.resources], [1, 1]);
  ({ resources } = await client.listResources());
  assert.equal(resources.find((r) => r.uri === 'mud://who').title, 'Who is on');
  // and the tools still work after the reloads
  const r = await client.callTool({ name: 'look', arguments: {} });
  assert.match(text(r), /Wizard/);
  await client.ping();
  assert.deepEqual([n.tools, n.resources], [1, 1], 'list_changed after a call that changed nothing');
  assert.deepEqual(n.updated, [], 'resources/updated without a subscription');
}, 60000);

await check('F6_a_subscribed_file_and_object_view_are_updated_by_a_reload_that_changes_them', async () => {
  const port = await freePort();
  const conf = copyMudlib({ 'mcp telnet': 'on', port }, 'admins: wizard\n');
  const road = path.join(path.dirname(conf), 'domains', 'start', 'road.c');
  const { client } = await connect(conf);
  const n = watchNotifications(client);
  const FILE = 'mudlib:///domains/start/road.c';
  const VIEW = 'mud://object/domains/start/road';
  await client.subscribeResource({ uri: FILE });
  await client.subscribeResource({ uri: VIEW });
  await client.subscribeResource({ uri: 'mudlib:///README.md' });
  await expectMcpError(client.subscribeResource({ uri: 'mudlib:///no/such/file.c' }), -32002);
  await expectMcpError(client.subscribeResource({ uri: 'mud://object/no/such/room' }), -32002);
  const wizard = await telnetPlayer(port, 'wizard', 'secret123');
  // a reload of an unchanged file: the view reads the same (the road has
  // no clones whose numbers would change), the file is the same: nothing
  await wizard.command('update /domains/start/road', /Updated \/domains\/start\/road/);
  await client.ping();
  assert.deepEqual(n.updated, []);
  // the file changes on disk and is reloaded: both are updated, once
  const before = readFileSync(road, 'utf8');
  const after = before.replace('A dusty road', 'A muddy road');
  assert.notEqual(after, before);
  writeFileSync(road, after);
  await wizard.command('update /domains/start/road', /Updated \/domains\/start\/road/);
  await client.ping();
  assert.deepEqual([...n.updated].sort(), [VIEW, FILE].sort());
  let read = await client.readResource({ uri: FILE });
  assert.equal(read.contents[0].text, after);
  // a write in the same second, same size: the hash tells
  n.updated.length = 0;
  const same = after.replace('A muddy road', 'A MUDDY road');
  writeFileSync(road, same);
  await wizard.command('look', /> $/);   // any command: the end of its run checks
  await client.ping();
  assert.deepEqual(n.updated, [FILE]);
  // the wizard walks onto the road: its view lists him now (the
  // mudlib's move() hints with mcp_resource_changed)
  n.updated.length = 0;
  read = await client.readResource({ uri: VIEW });
  assert.doesNotMatch(read.contents[0].text, /Wizard/);
  await wizard.command('east', /> $/);
  await client.ping();
  assert.deepEqual(n.updated, [VIEW]);
  read = await client.readResource({ uri: VIEW });
  assert.match(read.contents[0].text, /Wizard/);
  assert.ok(!n.updated.includes('mudlib:///README.md'), 'an unchanged file was reported');
  await client.unsubscribeResource({ uri: FILE });
  writeFileSync(road, before);
  await wizard.command('update /domains/start/road', /Updated \/domains\/start\/road/);
  await client.ping();
  assert.ok(!n.updated.includes(FILE), 'update after unsubscribe');
}, 60000);

// A tool that appears later without any reload: the mudlib says so with
// mcp_lists_changed(), from a call_out (no tool call running).
const LATE_TOOLS = `// test-only: a tool registered at run time
private int shown;

mapping *mcp_tools()
{
    mapping none = ([ "type": "object", "additionalProperties": 0 ]);
    mapping *list = ({ ([ "name": "arm", "description": "Shows late_tool soon.",
                          "inputSchema": none ]) });
    if (shown)
        list += ({ ([ "name": "late_tool", "description": "Appeared later.",
                      "inputSchema": none ]) });
    return list;
}

void appear()
{
    shown = 1;
    mcp_lists_changed();
}

mixed mcp_call_tool(string name, mapping args, int id)
{
    if (name == "arm") {
        call_out("appear", 0.2);
        return "armed";
    }
    if (name == "late_tool")
        return "here";
    return 0;
}
`;

await check('E1_mcp_lists_changed_from_a_call_out_sends_list_changed', async () => {
  const conf = copyMudlib();
  writeFileSync(path.join(path.dirname(conf), 'secure', 'mcp_tools_extra.c'), LATE_TOOLS);
  const { client } = await connect(conf);
  let { tools } = await client.listTools();
  assert.ok(!tools.some((t) => t.name === 'late_tool'));
  const changed = new Promise((resolve) => {
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve(true));
  });
  const r = await client.callTool({ name: 'arm', arguments: {} });
  assert.equal(text(r), 'armed');
  const got = await Promise.race([changed, sleep(10000).then(() => false)]);
  assert.ok(got, 'no notifications/tools/list_changed within 10 s of the call_out');
  ({ tools } = await client.listTools());
  assert.ok(tools.some((t) => t.name === 'late_tool'), JSON.stringify(tools.map((t) => t.name)));
  assert.equal(text(await client.callTool({ name: 'late_tool', arguments: {} })), 'here');
});

// A clone's file name holds "#", which would start a URI fragment: its
// view is mud://object/<file>%23<n>, read and updated under that name.
await check('F6_a_clone_view_is_named_with_%23_and_follows_its_moves', async () => {
  const port = await freePort();
  const conf = copyMudlib({ 'mcp telnet': 'on', port });
  const { client } = await connect(conf);
  const n = watchNotifications(client);
  const ann = await telnetPlayer(port, 'ann', 'secret123');
  const r = await client.callTool({ name: 'look', arguments: { target: 'ann' } });
  const name = text(r).split(':\n')[0];             // "/std/player#3" or so
  assert.match(name, /^\/[\w/]+#\d+$/);
  const VIEW = 'mud://object' + name.replace('#', '%23');
  const read = await client.readResource({ uri: VIEW });
  assert.equal(read.contents[0].uri, VIEW);
  assert.equal(read.contents[0].text, text(r));
  await client.subscribeResource({ uri: VIEW });
  await ann.command('east', /> $/);                   // move() hints her view
  await client.ping();
  assert.ok(n.updated.includes(VIEW), `no update for ${VIEW}: ${n.updated}`);
  await expectMcpError(client.readResource({ uri: 'mud://object' + name.replace('#', '%23') + '0' }), -32002);
}, 60000);

// Test-only tools: one answers later, one tries to answer it by guessing
// its token, one answers it with the real token.
const TOKEN_TOOLS = `// test-only: mcp_reply tokens
private int waiting, second;

mapping *mcp_tools()
{
    mapping none = ([ "type": "object", "additionalProperties": 0 ]);
    return ({ ([ "name": "wait_here", "description": "Answers later.", "inputSchema": none ]),
              ([ "name": "forge", "description": "Guesses tokens.", "inputSchema": none ]),
              ([ "name": "release", "description": "Answers wait_here.", "inputSchema": none ]) });
}

mixed mcp_call_tool(string name, mapping args, int id)
{
    int i, hits;
    string r;
    switch (name) {
    case "wait_here":
        waiting = id;
        return 0;
    case "forge":
        for (i = -1000; i <= 1000; i++)
            if (i != 0)
                hits += mcp_reply(id + i, "forged");
        for (i = -10; i <= 1000; i++)
            hits += mcp_reply(i, "forged");
        hits += mcp_reply(-id, "forged");
        mcp_reply(id, "forged hits: " + hits);
        second = mcp_reply(id, "answered twice");
        return 0;
    case "release":
        r = "second=" + second + " random=" + (waiting > 1000000 || waiting < -1000000);
        r += " release=" + mcp_reply(waiting, "released");
        r += " again=" + mcp_reply(waiting, "released again");
        return r;
    }
    return 0;
}
`;

await check('E4_mcp_reply_tokens_cannot_be_guessed_or_used_twice', async () => {
  const conf = copyMudlib();
  writeFileSync(path.join(path.dirname(conf), 'secure', 'mcp_tools_extra.c'), TOKEN_TOOLS);
  const { client } = await connect(conf);
  const waiting = client.callTool({ name: 'wait_here', arguments: {} });
  let settled = false;
  waiting.then(() => { settled = true; }, () => { settled = true; });
  const f = await client.callTool({ name: 'forge', arguments: {} });
  assert.equal(text(f), 'forged hits: 0');
  await client.ping();
  assert.equal(settled, false, 'a guessed token answered another call');
  const r = await client.callTool({ name: 'release', arguments: {} });
  assert.equal(text(r), 'second=0 random=1 release=1 again=0');
  assert.equal(text(await waiting), 'released');
});

await check('E4_mudlib_tools_with_the_sdk_v2_client', async () => {
  const transport = new StdioClientTransportV2({
    ...driverCommand(shippedBinary, ['-f', copyMudlib(), '--mcp'], {}), stderr: 'pipe',
  });
  const client = new ClientV2({ name: 'neolith-test-mudlib-v2', version: '2.0.0' }, { capabilities: {} });
  await client.connect(transport);
  onCleanup(() => client.close());
  const { tools } = await client.listTools();
  for (const n of BUNDLED)
    assert.ok(tools.some((t) => t.name === n), `${n} missing`);
  let r = await client.callTool({ name: 'who_is_online', arguments: {} });
  assert.equal(r.isError ?? false, false);
  assert.equal(typeof r.structuredContent.count, 'number');
  r = await client.callTool({ name: 'look', arguments: {} });
  assert.match(text(r), /fountain/);
});

await check('A7_stdin_close_exits_0', async () => {
  const { client, transport } = await connect(copyMudlib());
  await client.callTool({ name: 'run_command', arguments: { command: 'look' } });
  const proc = transport._process;
  const t0 = Date.now();
  await client.close();
  const took = Date.now() - t0;
  assert.ok(took < 2000, `close took ${took} ms`);
  for (let i = 0; i < 100 && proc.exitCode === null; i++) await sleep(10);
  assert.equal(proc.exitCode, 0);
  assert.equal(proc.signalCode, null);
});

summary('mudlib');
