/**
 * WebKit through selenium-webdriver: Debian's WebKitGTK (webkit2gtk-driver's WebKitWebDriver and the MiniBrowser
 * of libwebkit2gtk-4.1-0) under Xvfb, since MiniBrowser has no headless mode.
 *
 * WebDriver classic has no init scripts and no page events, so each tab's traffic goes through a small proxy of
 * its own (MiniBrowser's `--proxy`), which also maps the test host names to the demo server: it adds to every
 * HTML page a script that records uncaught errors, unhandled rejections and console lines, and the tab's init
 * scripts, before the page's own scripts run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { Builder, By, Key as Keys, Origin, type WebDriver } from 'selenium-webdriver';
import { PROGRAMS } from './programs';
import { fromJSON, inPage, poll, scriptText, type Cookie, type EngineBrowser, type Key, type LaunchOptions, type Tab } from './tab';

const KEYS: Record<Exclude<Key, 'Shift+Tab'>, string> = { Tab: Keys.TAB, Escape: Keys.ESCAPE };

/** WebKitWebDriver's new-session call never times out when MiniBrowser fails to start: this bounds it. */
const SESSION_MS = 30_000;
const HOOKS = '/__e2e__/';

/** In every page, first: what the tab's `errors()` and `console()` read, kept in the page. */
const RECORDER = `(function () {
  var errors = window.__e2eErrors = [], lines = window.__e2eConsole = [];
  addEventListener('error', function (e) { errors.push(e.error ? String(e.error) : String(e.message)) });
  addEventListener('unhandledrejection', function (e) { errors.push('unhandled rejection: ' + String(e.reason)) });
  ['log', 'info', 'warn', 'error', 'debug'].forEach(function (type) {
    var original = console[type];
    console[type] = function () {
      lines.push((type == 'warn' ? 'warning' : type) + ': ' + [].map.call(arguments, String).join(' '));
      return original.apply(console, arguments);
    };
  });
})();`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Kills a detached child and everything it started (MiniBrowser and WebKit's helper processes). */
function killGroup(child: ChildProcess) {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {}
}

/** Xvfb on a display it picks itself (`-displayfd`); `-noreset` keeps it up between MiniBrowser sessions. */
function startXvfb(): Promise<{ display: string; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const xvfb = spawn(PROGRAMS.xvfb, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-noreset', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    xvfb.stderr!.on('data', (data) => (err += data));
    xvfb.stdio[3]!.on('data', (data) => {
      out += data;
      if (out.includes('\n')) resolve({ display: ':' + out.trim(), stop: () => killGroup(xvfb) });
    });
    xvfb.on('error', reject);
    xvfb.on('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${err}`)));
  });
}

/**
 * The tab's proxy: every request goes on to the demo server (which tells its sites apart by Host), HTML pages
 * get the recorder and the init scripts, and a connection the server drops is dropped here too, as it would be
 * to a browser connected directly.
 */
function startProxy(serverPort: number, inits: string[], tls: LaunchOptions['tls']): Promise<http.Server> {
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url!, 'http://' + req.headers.host);
    if (url.pathname.startsWith(HOOKS)) {
      const file = url.pathname.slice(HOOKS.length);
      const body = file == 'recorder.js' ? RECORDER : file == 'init.js' ? inits.join('\n') : '<!doctype html><title>blank</title>';
      res.writeHead(200, { 'Content-Type': file.endsWith('.js') ? 'text/javascript' : 'text/html', 'Cache-Control': 'no-store' });
      return void res.end(body);
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const upstream = http.request({ host: '127.0.0.1', port: serverPort, method: req.method, path: url.pathname + url.search, headers }, (answer) => {
      if (!/^text\/html/.test(String(answer.headers['content-type']))) {
        res.writeHead(answer.statusCode!, answer.headers);
        return void answer.pipe(res);
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk) => chunks.push(chunk));
      answer.on('end', () => {
        // the page's CSP nonce, so the added scripts run where the page's own do
        const nonce = /'nonce-([^']+)'/.exec(String(answer.headers['content-security-policy'] || ''));
        const attribute = nonce ? ` nonce="${nonce[1]}"` : '';
        const hooks = `<script src="${HOOKS}recorder.js"${attribute}></script>` + (inits.length ? `<script src="${HOOKS}init.js"${attribute}></script>` : '');
        const html = Buffer.concat(chunks).toString('utf8');
        const at = /<head[^>]*>/i.exec(html);
        const body = at ? html.slice(0, at.index + at[0].length) + hooks + html.slice(at.index + at[0].length) : hooks + html;
        const out = { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) };
        res.writeHead(answer.statusCode!, out);
        res.end(body);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const proxy = http.createServer(handle);
  // an https page (CONNECT through the proxy) is opened here with the tests' own certificate, which the session
  // accepts, and then handled as any other request: the recorder and init scripts reach https pages too
  const secure = https.createServer(tls, handle);
  proxy.on('connect', (_req, socket: net.Socket, head: Buffer) => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) socket.unshift(head);
    secure.emit('connection', socket);
  });
  proxy.on('close', () => secure.closeAllConnections());
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(proxy)));
}

/** A WebKitWebDriver of its own (one session per driver) and a MiniBrowser session through `proxyPort`. */
async function startSession(display: string, proxyPort: number) {
  const port = await freePort();
  const driver = spawn(PROGRAMS.webkitDriver, [`--port=${port}`, '--host=127.0.0.1'], {
    env: { ...process.env, DISPLAY: display, WAYLAND_DISPLAY: '', GDK_BACKEND: 'x11', LIBGL_ALWAYS_SOFTWARE: '1', WEBKIT_DISABLE_DMABUF_RENDERER: '1', NO_AT_BRIDGE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let log = '';
  driver.stderr!.on('data', (data) => (log = (log + data).slice(-4000)));
  try {
    await poll(() => new Promise((resolve) => net.connect(port, '127.0.0.1').on('connect', function (this: net.Socket) {
      this.destroy();
      resolve(true);
    }).on('error', () => resolve(false))), 10_000, 'WebKitWebDriver to listen');
    const building = new Builder()
      .usingServer(`http://127.0.0.1:${port}`)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: PROGRAMS.miniBrowser, args: ['--automation', `--proxy=http://127.0.0.1:${proxyPort}`] },
        acceptInsecureCerts: true,
      })
      .build();
    // a failed start rejects this later too, after the bound below has given up on it
    building.catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no MiniBrowser session within ${SESSION_MS} ms: ${log}`)), SESSION_MS)));
    const session: WebDriver = await Promise.race([building, bound]).finally(() => clearTimeout(timer));
    await session.manage().setTimeouts({ pageLoad: 30_000, script: 30_000 });
    const quit = async () => {
      await Promise.race([session.quit().catch(() => {}), sleep(5000)]);
      // MiniBrowser leaves with its driver: waiting a moment lets the driver reap it before the group goes
      await sleep(100);
      killGroup(driver);
    };
    return { session, quit };
  } catch (error) {
    killGroup(driver);
    throw error;
  }
}

interface Shared {
  session: WebDriver;
  port: number;
  /** The window commands go to now: each tab switches to its own first. */
  current: string;
  inits: string[];
}

function webkitTab(shared: Shared, handle: string, close: () => Promise<void>): Tab {
  const { session } = shared;
  const errors: string[] = [];
  const lines: string[] = [];
  const focus = async () => {
    if (shared.current != handle) await session.switchTo().window((shared.current = handle));
  };
  const run = async (script: string) => {
    await focus();
    return session.executeScript('return ' + script);
  };
  // the recorder lives in the page: take what it saw before the page may be left (taken out of the page, so a
  // click that stays on it does not count it twice)
  const keep = async () => {
    try {
      const seen = fromJSON(await run(inPage(() => [((window as any).__e2eErrors || []).splice(0), ((window as any).__e2eConsole || []).splice(0)]))) as string[][];
      errors.push(...seen[0]);
      lines.push(...seen[1]);
    } catch {}
  };
  const current = async (key: '__e2eErrors' | '__e2eConsole', kept: string[]) =>
    kept.concat(fromJSON(await run(inPage((key) => (window as any)[key] || [], key))) as string[]);
  const tab: Tab = {
    engine: 'webkit',
    async goto(url) {
      await keep();
      await session.get(url);
    },
    async reload() {
      await keep();
      await session.navigate().refresh();
    },
    url: async () => (await focus(), session.getCurrentUrl()),
    evaluate: async (fn, arg) => fromJSON(await run(inPage(fn, arg))),
    waitForFunction: (fn, arg, options) => poll(() => tab.evaluate(fn, arg).catch(() => false), options?.timeout, 'waitForFunction ' + fn),
    async click(selector) {
      await focus();
      await keep();
      await session.findElement(By.css(selector)).click();
    },
    async clickAt(x, y) {
      await focus();
      await keep();
      await session.actions().move({ x: Math.round(x), y: Math.round(y), origin: Origin.VIEWPORT }).click().perform();
    },
    async press(key) {
      await focus();
      const actions = session.actions();
      await (key == 'Shift+Tab' ? actions.keyDown(Keys.SHIFT).sendKeys(Keys.TAB).keyUp(Keys.SHIFT) : actions.sendKeys(KEYS[key])).perform();
    },
    waitForTimeout: sleep,
    addInitScript: async (script, arg) => void shared.inits.push(scriptText(script, arg)),
    // WebDriver classic lists what the current page can see: its host's cookies and its parent domains'
    cookies: async () =>
      (await focus(), await session.manage().getCookies()).map(({ name, value, domain, path, expiry }): Cookie => ({
        name,
        value,
        domain: domain!,
        path: path!,
        expires: typeof expiry == 'number' ? expiry : expiry ? Math.floor(+expiry / 1000) : -1,
      })),
    async addCookies(cookies) {
      for (const { name, value, domain, path } of cookies) {
        // a cookie can be added only from a page of its domain: a blank one the proxy serves
        await tab.goto(`http://www${domain.startsWith('.') ? domain : '.' + domain}:${shared.port}${HOOKS}blank`);
        await session.manage().addCookie({ name, value, domain, path });
      }
    },
    errors: () => current('__e2eErrors', errors),
    console: () => current('__e2eConsole', lines),
    async newTab() {
      await focus();
      // a window, not a tab: MiniBrowser keeps a background tab hidden and throttles its timers
      await session.switchTo().newWindow('window');
      const next = await session.getWindowHandle();
      shared.current = next;
      return webkitTab(shared, next, async () => {
        await focus().catch(() => {});
        await session.close().catch(() => {});
      });
    },
    close,
  };
  return tab;
}

export async function launchWebKit({ port, tls }: LaunchOptions): Promise<EngineBrowser> {
  const xvfb = await startXvfb();
  let version = 'WebKitGTK';
  return {
    get version() {
      return version;
    },
    async newTab() {
      const inits: string[] = [];
      const proxy = await startProxy(port, inits, tls);
      try {
        const { session, quit } = await startSession(xvfb.display, (proxy.address() as AddressInfo).port);
        version = 'WebKitGTK ' + (await session.getCapabilities()).getBrowserVersion();
        const shared: Shared = { session, port, current: await session.getWindowHandle(), inits };
        return webkitTab(shared, shared.current, async () => {
          await quit();
          proxy.closeAllConnections();
          proxy.close();
        });
      } catch (error) {
        proxy.close();
        throw error;
      }
    },
    close: async () => xvfb.stop(),
  };
}
