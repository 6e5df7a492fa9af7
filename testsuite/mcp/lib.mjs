// lib.mjs - shared helpers of the MCP end-to-end tests: where the binaries
// are, scratch mudlibs with their config files, a raw JSON-RPC session over
// child_process pipes, and a tiny Check-like runner whose summary line
// ("NN%: Checks: N, Failures: F, Errors: E") run.sh adds up.
//
// Test names start with the rule ids of ../shared/spec/mcp-checklist.md they
// prove.  A failed assertion is a Failure; anything else thrown is an Error.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export { assert };

// The build directory: make check runs the scripts from the top build dir;
// NEOLITH_BUILD_DIR overrides it.  NEOLITH_MCP_WINE=<a Windows cross build>
// runs every driver as a Windows program under wine instead (run_wine.sh):
// its .exe files, started through driverCommand() below.
const wineBuild = process.env.NEOLITH_MCP_WINE || null;
export const underWine = wineBuild !== null;
export const buildDir = wineBuild ?? process.env.NEOLITH_BUILD_DIR ?? process.cwd();
const exe = underWine ? '.exe' : '';
export const testBinary = path.join(buildDir, 'testsuite', `neolith_mcp_test${exe}`);
export const shippedBinary = path.join(buildDir, 'src', `neolith${exe}`);

// How to start a driver binary: { command, args, env }, for spawn() and for
// the SDKs' StdioClientTransport alike.  Every start of a driver goes
// through here, so under wine none can run a native binary by mistake.
// Under wine the WINE* variables (WINEPREFIX above all) are kept even when
// a test hands the driver an empty environment; Linux paths in the
// arguments (config files) reach the driver as /-rooted paths, which wine
// resolves on its Z: drive (the whole Linux file system).
export function driverCommand(binary, args, env = {}) {
  if (!underWine)
    return { command: binary, args, env };
  const wineEnv = { WINEDEBUG: '-all' };
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('WINE') && k !== 'WINEDEBUG') wineEnv[k] = v;
  return { command: 'wine', args: [binary, ...args], env: { ...env, ...wineEnv } };
}

// Under wine: the first wine process of a prefix starts wineserver and the
// prefix's system processes (services.exe, winedevice.exe, ...), and they
// inherit its stdout and stderr.  Were that a driver under test, its pipes
// would stay open ~2 s after it exited (until wineserver's idle shutdown),
// and a client waiting for them to close (the SDKs' close()) would wait.
// So a do-nothing Windows program (cmd running `more`, which ends when its
// stdin closes) is started first, and lives until summary(): the system
// processes inherit its stdio and the tests start once it said "ready".
let wineAnchor = null;
async function startWineAnchor() {
  wineAnchor = spawn('wine', ['cmd', '/c', 'echo ready& more'], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, ...driverCommand('', []).env },
  });
  wineAnchor.stdin.on('error', () => {});
  // A deadline only so that a broken wine fails the run instead of hanging
  // it: a fresh prefix may take a minute to set itself up.
  let timer;
  await new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error('wine cmd /c more (the anchor) did not start within 180 s')), 180000);
    let out = '';
    wineAnchor.stdout.setEncoding('utf8');
    wineAnchor.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    wineAnchor.on('error', reject);
    wineAnchor.on('exit', (code) => reject(new Error(`wine cmd /c more (the anchor) ended: status ${code}`)));
  }).finally(() => clearTimeout(timer));
  // Nothing more is read; the system processes may keep this pipe open.
  wineAnchor.stdout.destroy();
  wineAnchor.unref();
}
function stopWineAnchor() {
  wineAnchor?.stdin.end();   // `more` sees end of input, cmd exits
  wineAnchor = null;
}
if (underWine) await startWineAnchor();

export const LEGACY_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
export const MODERN_VERSION = '2026-07-28';

// ---------------------------------------------------------------- runner

const results = [];
const skipped = [];
let current = null;

// Runs fn (async) as one test case with a deadline.
export async function check(name, fn, timeoutMs = 30000) {
  current = name;
  const started = Date.now();
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    results.push({ name, outcome: 'pass' });
    console.log(`PASS ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    const failure = err instanceof assert.AssertionError;
    results.push({ name, outcome: failure ? 'failure' : 'error' });
    console.log(`${failure ? 'FAIL' : 'ERROR'} ${name}: ${err?.stack ?? err}`);
  } finally {
    clearTimeout(timer);
    await cleanupAll();
  }
}

// A case that cannot run under wine (the driver's behaviour it proves has
// no Windows counterpart, or the tool it needs is not there): under wine
// it is reported as SKIP with `reason` and counted neither as passed nor
// as failed; natively it runs exactly like check().
export async function nativeOnly(reason, name, fn, timeoutMs) {
  if (!underWine)
    return check(name, fn, timeoutMs);
  skipped.push({ name, reason });
  console.log(`SKIP ${name}: not run under wine: ${reason}`);
}

// Prints the summary in Check's format and sets the exit status.  Cases
// skipped under wine are listed on a line of their own, never counted.
export function summary(suite) {
  for (const { name, reason } of skipped)
    console.log(`${suite}: skipped under wine: ${name} (${reason})`);
  const checks = results.length;
  const failures = results.filter((r) => r.outcome === 'failure').length;
  const errors = results.filter((r) => r.outcome === 'error').length;
  const pct = checks === 0 ? 0 : Math.floor(((checks - failures - errors) * 100) / checks);
  console.log(`${suite}: ${pct}%: Checks: ${checks}, Failures: ${failures}, Errors: ${errors}`);
  process.exitCode = failures + errors === 0 && checks > 0 ? 0 : 1;
  stopWineAnchor();
}

// Things to undo after each test (children to kill, folders to remove).
const cleanups = [];
export function onCleanup(fn) {
  cleanups.push(fn);
}
async function cleanupAll() {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()();
    } catch {
      /* best effort */
    }
  }
}

// ------------------------------------------------------------- mudlib

// A scratch folder with mudlib/ and neolith.conf; `extra` is appended to the
// config.  Returns the config's absolute path.
export function makeConfig(extra = '') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'neolith-mcp-'));
  mkdirSync(path.join(dir, 'mudlib'));
  const conf = path.join(dir, 'neolith.conf');
  writeFileSync(conf, `# written by testsuite/mcp\nmudlib directory: mudlib\nlog directory: log\n${extra}`);
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return conf;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------- raw session

// Spawns a driver in --mcp mode with plain pipes.  Every stdout line is
// checked to be one JSON-RPC 2.0 message (checklist A4): anything else is
// recorded in `garbage` and fails the test at close.
export function rawSession({ binary = testBinary, conf, args = [], env = {}, cwd } = {}) {
  const run = driverCommand(binary, ['-f', conf ?? makeConfig(), '--mcp', ...args], { ...process.env, ...env });
  const child = spawn(run.command, run.args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: run.env,
    cwd,
  });
  const s = {
    child,
    messages: [],          // parsed, in arrival order
    taken: new Set(),      // indices of messages a waitFor returned
    garbage: [],           // stdout lines that are not JSON-RPC
    stderr: '',
    exit: null,            // { code, signal, at }
    waiters: [],
    buffer: '',
    nextId: 1,
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    s.buffer += chunk;
    let nl;
    while ((nl = s.buffer.indexOf('\n')) >= 0) {
      const line = s.buffer.slice(0, nl);
      s.buffer = s.buffer.slice(nl + 1);
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        s.garbage.push(line);
        continue;
      }
      if (msg === null || typeof msg !== 'object' || (Array.isArray(msg) ? false : msg.jsonrpc !== '2.0')) {
        s.garbage.push(line);
        continue;
      }
      s.messages.push(msg);
      s.waiters = s.waiters.filter((w) => !w.check());
    }
  });
  child.stdout.on('error', () => {});
  child.stdin.on('error', () => {});
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    s.stderr += d;
  });
  s.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      s.exit = { code, signal, at: Date.now() };
      resolve(s.exit);
    });
  });
  onCleanup(async () => {
    if (s.exit === null) {
      child.kill('SIGKILL');
      await s.exited;
    }
  });

  // Writes raw text (no newline added).
  s.write = (text) => new Promise((resolve) => child.stdin.write(text, resolve));
  // Sends one message (object) as a line; returns its id.
  s.send = (msg) => s.write(JSON.stringify(msg) + '\n');
  s.request = async (method, params, id) => {
    const rid = id ?? s.nextId++;
    const msg = { jsonrpc: '2.0', id: rid, method };
    if (params !== undefined) msg.params = params;
    await s.send(msg);
    return s.waitFor((m) => !Array.isArray(m) && m.id === rid && m.method === undefined);
  };
  s.notify = (method, params) => s.send({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
  // Waits for the first message (not yet consumed) matching pred.
  s.waitFor = (pred, timeoutMs = 10000) =>
    new Promise((resolve, reject) => {
      const w = {
        check: () => {
          const i = s.messages.findIndex((m, k) => !s.taken.has(k) && pred(m));
          if (i < 0) return false;
          s.taken.add(i);
          clearTimeout(w.timer);
          resolve(s.messages[i]);
          return true;
        },
      };
      if (w.check()) return;
      w.timer = setTimeout(() => {
        s.waiters = s.waiters.filter((x) => x !== w);
        reject(new Error(`no matching message within ${timeoutMs} ms; stderr:\n${s.stderr}`));
      }, timeoutMs);
      s.waiters.push(w);
    });
  s.initialize = async (protocolVersion = '2025-11-25') => {
    const r = await s.request('initialize', {
      protocolVersion,
      capabilities: {},
      clientInfo: { name: 'raw-test', version: '1' },
    });
    assert.ok(r.result, `initialize failed: ${JSON.stringify(r)}`);
    await s.notify('notifications/initialized');
    return r.result;
  };
  s.closeStdin = () => child.stdin.end();
  // Waits for exit; returns { code, signal, at }.
  s.waitExit = (timeoutMs = 5000) =>
    Promise.race([
      s.exited,
      sleep(timeoutMs).then(() => {
        throw new Error(`the driver did not exit within ${timeoutMs} ms; stderr:\n${s.stderr}`);
      }),
    ]);
  s.assertClean = () => {
    assert.deepEqual(s.garbage, [], 'stdout carried something that is not JSON-RPC');
  };
  return s;
}

// The error object of a response, asserting it is one.
export function errorOf(response) {
  assert.ok(response.error, `expected an error, got ${JSON.stringify(response)}`);
  assert.equal(typeof response.error.code, 'number');
  assert.equal(typeof response.error.message, 'string');
  return response.error;
}

// The 2026-07-28 per-request envelope.
export function envelope(extra = {}) {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1' },
    ...extra,
  };
}
