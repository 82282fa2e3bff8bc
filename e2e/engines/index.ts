/** The one place that knows which driver runs which engine. */
import type { Engine, EngineBrowser, LaunchOptions } from './tab';

export async function launchEngine(engine: Engine, options: LaunchOptions): Promise<EngineBrowser> {
  // imported when used: a Chromium run never loads puppeteer or selenium
  if (engine == 'firefox') return (await import('./firefox')).launchFirefox();
  if (engine == 'webkit') return (await import('./webkit')).launchWebKit(options);
  return (await import('./chromium')).launchChromium();
}
