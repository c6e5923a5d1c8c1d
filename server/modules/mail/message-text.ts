// Cheap text views of a message body, for search indexing and list snippets. Deliberately not
// html-to-text: that conversion is several times slower on odd bodies and delivery only needs
// words, not layout. Everything here is a linear scan.

const SNIPPET_CHARS = 200;

const NAMED_ENTITIES: Record<string, string> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  ensp: ' ',
  emsp: ' ',
  thinsp: ' ',
  middot: '·',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  ldquo: '“',
  rdquo: '”',
  lsquo: '‘',
  rsquo: '’',
  copy: '©',
  reg: '®',
  yen: '¥',
};

// Elements whose content is never readable text.
const SKIPPED_ELEMENTS = ['script', 'style', 'head', 'title', 'noscript', 'template', 'svg', 'math'];
// Elements that end a line, so words of adjacent blocks do not run together.
const BLOCK_TAG = /^\/?(?:p|div|br|tr|li|h[1-6]|table|blockquote|pre|hr|section|article|ul|ol|dd|dt)\b/i;

function decodeEntity(entity: string): string {
  if (entity[1] === '#') {
    const code =
      entity[2] === 'x' || entity[2] === 'X'
        ? Number.parseInt(entity.slice(3, -1), 16)
        : Number.parseInt(entity.slice(2, -1), 10);
    if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return ' ';
    return String.fromCodePoint(code);
  }
  return NAMED_ENTITIES[entity.slice(1, -1).toLowerCase()] ?? entity;
}

export function decodeEntities(text: string): string {
  return text.replace(/&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/gi, decodeEntity);
}

/** Plain words of an HTML body, at most `maxChars` of input considered. */
export function htmlToSearchText(html: string, maxChars: number): string {
  const input = html.length > maxChars ? html.slice(0, maxChars) : html;
  const lower = input.toLowerCase();
  const out: string[] = [];
  let pos = 0;
  while (pos < input.length) {
    const lt = input.indexOf('<', pos);
    if (lt < 0) {
      out.push(input.slice(pos));
      break;
    }
    out.push(input.slice(pos, lt));
    if (input.startsWith('<!--', lt)) {
      const end = input.indexOf('-->', lt + 4);
      pos = end < 0 ? input.length : end + 3;
      continue;
    }
    const gt = input.indexOf('>', lt + 1);
    if (gt < 0) break; // an unclosed tag at the end: nothing readable follows
    const tag = lower.slice(lt + 1, gt).trim();
    const name = /^[a-z0-9]+/.exec(tag)?.[0] ?? '';
    pos = gt + 1;
    if (SKIPPED_ELEMENTS.includes(name)) {
      // indexOf from the current position only, so an unclosed <script> costs one scan, not one per tag
      const close = lower.indexOf(`</${name}`, pos);
      pos = close < 0 ? input.length : lower.indexOf('>', close) + 1 || input.length;
      continue;
    }
    if (BLOCK_TAG.test(tag)) out.push('\n');
    else out.push(' ');
  }
  return decodeEntities(out.join(''))
    .replace(/[ \t\u00a0\u3000]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
}

/** Control characters (binary garbage in a broken part) would show as boxes in every list row. */
// eslint-disable-next-line no-control-regex
const SNIPPET_CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g;

/** The first ~200 characters of the text, whitespace collapsed, cut on a code point boundary. */
export function snippetOf(text: string): string {
  const head = text.slice(0, SNIPPET_CHARS * 8);
  const collapsed = head.replace(SNIPPET_CONTROLS, '').replace(/\s+/g, ' ').trim();
  const points = [...collapsed];
  return points.length > SNIPPET_CHARS ? points.slice(0, SNIPPET_CHARS).join('').trimEnd() + '…' : collapsed;
}

/** Cuts `value` at `max` characters without splitting a surrogate pair. */
export function clip(value: string, max: number): { value: string; clipped: boolean } {
  if (value.length <= max) return { value, clipped: false };
  let end = max;
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return { value: value.slice(0, end), clipped: true };
}
