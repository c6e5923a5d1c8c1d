import sanitizeHtml from 'sanitize-html';
import {
  ALLOWED_ATTRIBUTES,
  ALLOWED_STYLES,
  ALLOWED_TAGS,
  DATA_IMAGE,
  LINK_SCHEMES,
  NON_TEXT_TAGS,
} from './mail-html-policy';

export interface SanitizeMailHtmlOptions {
  /** The reader asked to load remote images for this message (or trusts the sender). */
  allowRemoteImages: boolean;
  /** URL our API serves an inline part at, by Content-ID; null when the message has no such part. */
  cidUrl: (contentId: string) => string | null;
}

export interface SanitizedMailHtml {
  html: string;
  /** Remote images not loaded: blocked ones plus tracking pixels (which are dropped even when allowed). */
  blockedRemoteImages: number;
}

export const BLOCKED_SRC_ATTRIBUTE = 'data-orgmail-blocked-src';

// Deeper nesting than this is never layout, only an attempt to stall the reader's browser.
const NESTING_LIMIT = 200;

// Invisible characters browsers ignore inside URLs (and attackers use to split "javascript:").
// eslint-disable-next-line no-control-regex
const URL_NOISE = /[\u0000-\u0020\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff]/g;

type Attributes = Record<string, string>;

/**
 * Parses an attribute URL the way a browser would (entities were already decoded by the HTML
 * parser; the WHATWG URL parser drops tabs and newlines and lowercases the scheme), so the scheme
 * we check is the scheme the browser would use. Relative URLs have no meaning in a mail and come
 * back null; protocol-relative ones are taken as https.
 */
function parseAbsoluteUrl(value: string): URL | null {
  const compact = value.replace(URL_NOISE, '');
  const candidate = /^[\\/]{2}/.test(compact) ? `https:${compact}` : compact;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(candidate)) return null;
  try {
    return new URL(candidate);
  } catch {
    return null;
  }
}

function pixelSize(attribs: Attributes, dimension: 'width' | 'height'): number | null {
  const fromStyle = new RegExp(
    `(?:^|;)\\s*${dimension}\\s*:\\s*(\\d+(?:\\.\\d+)?)\\s*(?:px)?\\s*(?:;|$)`,
    'i',
  ).exec(attribs.style ?? '');
  const raw = fromStyle?.[1] ?? attribs[dimension];
  if (raw === undefined || !/^\s*\d+(?:\.\d+)?\s*(?:px)?\s*$/i.test(raw)) return null;
  return Number.parseFloat(raw);
}

/** 1×1 (or 0-sized) remote images exist only to report that the mail was opened. */
function isTrackingPixel(attribs: Attributes): boolean {
  const width = pixelSize(attribs, 'width');
  const height = pixelSize(attribs, 'height');
  return (
    (width !== null && width <= 1 && (height === null || height <= 1)) ||
    (height !== null && height <= 1 && width === null)
  );
}

function cidOf(value: string): string {
  const id = value.replace(URL_NOISE, '').replace(/^cid:/i, '');
  try {
    return decodeURIComponent(id); // RFC 2392: a cid URL is the %-encoded Content-ID
  } catch {
    return id;
  }
}

/**
 * Sanitizes a received mail's HTML for display under a strict allow-list. Output is meant for a
 * sandboxed frame, but is safe without one: no scripts, handlers, frames, forms, remote styles or
 * dangerous URL schemes survive, remote images are blocked unless allowed, and `cid:` images point
 * at our API. Never throws on bad markup.
 */
export function sanitizeMailHtml(html: string, opts: SanitizeMailHtmlOptions): SanitizedMailHtml {
  let blockedRemoteImages = 0;

  const transformLink = (tagName: string, attribs: Attributes) => {
    const url = attribs.href === undefined ? null : parseAbsoluteUrl(attribs.href);
    const out: Attributes = { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' };
    if (url && LINK_SCHEMES.has(url.protocol)) out.href = url.href;
    else delete out.href;
    return { tagName, attribs: out };
  };

  const transformImage = (tagName: string, attribs: Attributes) => {
    const out: Attributes = { ...attribs };
    // only we may set the placeholder; a mail that ships one must not smuggle a URL through it
    delete out[BLOCKED_SRC_ATTRIBUTE];
    delete out.src;
    const src = attribs.src ?? '';
    const compact = src.replace(URL_NOISE, '');
    if (/^cid:/i.test(compact)) {
      const served = opts.cidUrl(cidOf(compact));
      if (served) out.src = served;
    } else if (/^data:/i.test(compact)) {
      if (DATA_IMAGE.test(compact)) out.src = compact;
    } else {
      const url = parseAbsoluteUrl(src);
      if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
        if (isTrackingPixel(attribs)) blockedRemoteImages++;
        else if (opts.allowRemoteImages) out.src = url.href;
        else {
          blockedRemoteImages++;
          out[BLOCKED_SRC_ATTRIBUTE] = url.href;
        }
      }
    }
    return { tagName, attribs: out };
  };

  const clean = sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedStyles: ALLOWED_STYLES,
    nonTextTags: NON_TEXT_TAGS,
    disallowedTagsMode: 'discard',
    allowedSchemes: ['http', 'https', 'mailto'],
    // cid: URLs are rewritten before this check; data: is limited to raster types in transformImage
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowProtocolRelative: false,
    allowVulnerableTags: false,
    nestingLimit: NESTING_LIMIT,
    transformTags: { a: transformLink, img: transformImage },
    parser: { lowerCaseTags: true, lowerCaseAttributeNames: true, decodeEntities: true },
  });
  return { html: clean, blockedRemoteImages };
}
