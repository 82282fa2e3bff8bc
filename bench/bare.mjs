// A Chromium with no automation library in it, for the main-thread and time-to-offers measurements: started here and driven with raw
// Chrome DevTools Protocol over --remote-debugging-pipe.
//
// Why not Playwright: it enables the Page, Runtime, Network and Log domains on every page, and the page then pays
// for DevTools in the very main-thread time measured, and more with a tag than without, so subtracting the blank
// page does not take it out: at 1x some 5-8 ms of TaskDuration per tag (4-7 ms of it ScriptDuration), nothing for
// the blank page (node bench/instrumentation.mjs measures it). Runtime.enable alone makes nearly all of it, most
// likely because V8 then records a detailed stack trace, source positions and all, for exceptions, and lazily
// compiled functions are parsed again for those positions. Here a page's session has only what the measurement
// reads: the Performance domain (Performance.getMetrics), Emulation.setCPUThrottlingRate and
// HeapProfiler.collectGarbage (neither needs its domain enabled); it is navigated with Page.navigate, which needs
// no Page.enable.
//
// The time-to-offers tables (network.mjs) run here too: their marks are read with Runtime.evaluate, without
// Runtime.enable, once the page is done.
//
// The pipe (fds 3 and 4, one JSON message per NUL-terminated chunk) needs no WebSocket, which Node 20 lacks.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The same Chromium as launch() in measure.mjs: Debian's unless CHROMIUM_PATH says otherwise (empty: Playwright's). */
async function executable() {
  const configured = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (configured) return configured;
  const { chromium } = await import('@playwright/test'); // only to find its binary: nothing of it runs in the browser
  return chromium.executablePath();
}

/** A CDP connection over the browser's pipe: `send(method, params, sessionId)` resolves with the result. */
function connect(child) {
  const [input, output] = [child.stdio[3], child.stdio[4]];
  const pending = new Map();
  let next = 0;
  let buffer = '';
  const failAll = (error) => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  output.setEncoding('utf8'); // decodes characters split across chunks
  output.on('data', (chunk) => {
    const parts = (buffer + chunk).split('\0');
    buffer = parts.pop();
    for (const part of parts) {
      const message = JSON.parse(part);
      const call = pending.get(message.id);
      if (!call) continue; // an event: nothing here listens to any
      pending.delete(message.id);
      if (message.error) call.reject(new Error(`${call.method}: ${message.error.message}`));
      else call.resolve(message.result);
    }
  });
  child.on('exit', (code, signal) => failAll(new Error(`Chromium exited (${signal || code})`)));
  child.on('error', failAll); // e.g. no such executable
  input.on('error', failAll); // a write after it exited: the calls fail, the bench does not crash
  return {
    send(method, params = {}, sessionId) {
      const id = ++next;
      input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
      return new Promise((resolve, reject) => pending.set(id, { method, resolve, reject }));
    },
  };
}

/**
 * Starts Chromium (headless, a temporary regular profile, as launch() in measure.mjs: the same host mapping and
 * certificate trust, so the same pages load the same way). Returns its `version`, `open()` and `close()`.
 */
export async function launchBare({ spkiHash }) {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'p13n-bench-bare-'));
  const child = spawn(await executable(), [
    '--headless=new',
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    // the pages' sites and the API are other origins (real CORS preflights), all served on this machine
    '--host-resolver-rules=MAP *.test 127.0.0.1',
    // trust the bench's own certificate, and nothing else (see demo/cert.mjs)
    `--ignore-certificate-errors-spki-list=${spkiHash}`,
    '--remote-debugging-pipe',
    'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  // kept for the error if it does not start; read on, so a chatty Chromium never blocks on a full pipe
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (text) => (log = (log + text).slice(-2000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const cdp = connect(child);
  let product;
  try {
    ({ product } = await cdp.send('Browser.getVersion'));
  } catch (error) {
    child.kill();
    await rm(profile, { recursive: true, force: true });
    throw new Error(`${error.message}\n${log}`);
  }
  return {
    version: product.replace(/^\w+\//, ''),
    /**
     * A new tab (cookies cleared), as open() in measure.mjs: the Performance domain on in `timeDomain`, the CPU
     * slowed down `throttle` times when > 1. Returns `cdp` (its session: send(method, params), so metrics() and
     * heapAfterGC() of measure.mjs take it), `goto(url)` and `close()`. `domains` are enabled too: none for the
     * bench; instrumentation.mjs turns on Playwright's, to show what they cost.
     */
    async open({ throttle = 1, timeDomain = 'timeTicks', domains = [] } = {}) {
      await cdp.send('Storage.clearCookies');
      const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
      const session = { send: (method, params) => cdp.send(method, params, sessionId) };
      await session.send('Performance.enable', { timeDomain });
      if (throttle > 1) await session.send('Emulation.setCPUThrottlingRate', { rate: throttle });
      for (const domain of domains) await session.send(`${domain}.enable`);
      let current = 'about:blank';
      return {
        cdp: session,
        /** Resolves once the navigation has committed (not at `load`: that would take Page.enable). */
        async goto(url) {
          const { errorText } = await session.send('Page.navigate', { url });
          if (errorText) throw new Error(`${url}: ${errorText}`);
          current = url;
        },
        url: () => current,
        /**
         * `fn(arg)` in the page's main world, as Playwright's page.evaluate (`fn` serialized, `arg` as JSON, a
         * promise awaited, the value returned as JSON), so marks() and settled() of measure.mjs take this tab.
         * Runtime.evaluate needs no Runtime.enable, and without it does not turn on what makes a page pay for
         * DevTools (node bench/evaluate.mjs measures it); the time-to-offers tables still call it only once the
         * page is done (see network.mjs).
         */
        async evaluate(fn, arg) {
          const expression = `(${fn})(${arg === undefined ? '' : JSON.stringify(arg)})`;
          const { result, exceptionDetails } = await session.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
          if (exceptionDetails) throw new Error(`${current}: ${exceptionDetails.exception?.description || exceptionDetails.text}`);
          return result.value;
        },
        close: () => cdp.send('Target.closeTarget', { targetId }),
      };
    },
    async close() {
      await cdp.send('Browser.close').catch(() => {});
      await exited;
      await rm(profile, { recursive: true, force: true });
    },
  };
}
