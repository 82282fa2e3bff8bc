/**
 * The programs the engines start, Debian's by default, each overridable from the environment, and how to get
 * each one: a missing browser is a set-up step, and the error says which.
 */
export const PROGRAMS = {
  // an empty CHROMIUM_PATH= uses Playwright's own Chromium where one is installed
  chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  firefox: process.env.FIREFOX_PATH || '/usr/bin/firefox-esr',
  webkitDriver: process.env.WEBKIT_DRIVER_PATH || '/usr/bin/WebKitWebDriver',
  miniBrowser: process.env.MINIBROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  xvfb: process.env.XVFB_PATH || '/usr/bin/Xvfb',
};

export const INSTALL: Record<keyof typeof PROGRAMS, string> = {
  chromium: 'apt-get install chromium, or set CHROMIUM_PATH',
  firefox: 'apt-get install firefox-esr, or set FIREFOX_PATH',
  webkitDriver: 'apt-get install webkit2gtk-driver, or set WEBKIT_DRIVER_PATH',
  miniBrowser: 'apt-get install libwebkit2gtk-4.1-0, or set MINIBROWSER_PATH',
  xvfb: 'apt-get install xvfb, or set XVFB_PATH',
};
