/** Past this many characters sanitize-html takes seconds; the reader gets the text instead. */
export const MAX_SANITIZED_HTML_CHARS = 2_000_000;
/** Real mail layouts nest a few dozen levels; thousands only stall parsers. */
export const MAX_HTML_NESTING = 1000;

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

/**
 * Whether an HTML body is safe to hand to the sanitizer in reasonable time: not too large and
 * not pathologically nested (estimated in one linear pass over the tags, unclosed tags counted).
 */
export function htmlTooComplex(html: string): 'too_large' | 'too_deep' | null {
  if (html.length > MAX_SANITIZED_HTML_CHARS) return 'too_large';
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(\/?)>/g;
  let depth = 0;
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    const name = m[2]!.toLowerCase();
    if (m[1]) depth = Math.max(0, depth - 1);
    else if (!m[3] && !VOID.has(name)) {
      depth++;
      if (depth > MAX_HTML_NESTING) return 'too_deep';
    }
  }
  return null;
}
