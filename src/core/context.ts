/** This tag's version: `td_version` of every request, and `p13n.v`. */
export const VERSION = '0.1.0';

/**
 * The page fields td-js-sdk's pageview sends, with the same names and definitions, so one set of
 * personalization rules serves both tags.
 */
export function pageContext(version = VERSION): Record<string, string> {
  const doc = document;
  const root = doc.documentElement;
  const nav = navigator;
  const description = doc.querySelector<HTMLMetaElement>('meta[name="description"]');
  const uaPlatform = (nav as Navigator & { userAgentData?: { platform?: string } }).userAgentData;
  return {
    td_version: version,
    td_charset: (doc.characterSet || '-').toLowerCase(),
    td_language: (nav.language || '').toLowerCase(),
    td_color: screen.colorDepth + '-bit',
    td_screen: screen.width + 'x' + screen.height,
    td_viewport: Math.max(root.clientWidth, innerWidth || 0) + 'x' + Math.max(root.clientHeight, innerHeight || 0),
    td_title: doc.title,
    td_description: description ? description.content.slice(0, 8192) : '',
    td_url: location.href.split('#')[0],
    td_user_agent: nav.userAgent,
    td_platform: nav.platform || (uaPlatform && uaPlatform.platform) || '',
    td_host: location.host,
    td_path: location.pathname,
    td_referrer: doc.referrer,
  };
}
