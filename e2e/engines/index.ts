/** The one place that knows which driver runs which engine, and what each needs on the machine. */
import { accessSync, constants } from 'node:fs';
import { INSTALL, PROGRAMS } from './programs';
import type { Engine, EngineBrowser, LaunchOptions } from './tab';

const NEEDS: Record<Engine, (keyof typeof PROGRAMS)[]> = {
  chromium: ['chromium'],
  firefox: ['firefox'],
  webkit: ['webkitDriver', 'miniBrowser', 'xvfb'],
};

export async function launchEngine(engine: Engine, options: LaunchOptions): Promise<EngineBrowser> {
  for (const program of NEEDS[engine]) {
    try {
      if (PROGRAMS[program]) accessSync(PROGRAMS[program], constants.X_OK);
    } catch {
      throw new Error(`${engine}: ${PROGRAMS[program]} is missing (${INSTALL[program]}); E2E_ENGINES lists the engines to run, e.g. E2E_ENGINES=chromium`);
    }
  }
  // imported when used: a Chromium run never loads puppeteer or selenium
  if (engine == 'firefox') return (await import('./firefox')).launchFirefox();
  if (engine == 'webkit') return (await import('./webkit')).launchWebKit(options);
  return (await import('./chromium')).launchChromium();
}
