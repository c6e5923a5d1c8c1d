// The allow-lists behind sanitizeMailHtml: which elements, attributes and CSS declarations a
// received mail may keep. Kept apart from the transforms so a reviewer can read the policy alone.

/** Layout tables and basic formatting: what real mail uses. Everything else is dropped, its text kept. */
export const ALLOWED_TAGS = [
  'a',
  'abbr',
  'address',
  'article',
  'b',
  'big',
  'blockquote',
  'br',
  'caption',
  'center',
  'cite',
  'code',
  'col',
  'colgroup',
  'dd',
  'del',
  'div',
  'dl',
  'dt',
  'em',
  'figcaption',
  'figure',
  'font',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'i',
  'img',
  'ins',
  'kbd',
  'li',
  'mark',
  'ol',
  'p',
  'pre',
  'q',
  's',
  'samp',
  'section',
  'small',
  'span',
  'strike',
  'strong',
  'sub',
  'sup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'tt',
  'u',
  'ul',
  'var',
  'wbr',
];

/** Elements whose text must not leak into the output either (scripts, styles, titles, foreign content). */
export const NON_TEXT_TAGS = [
  'script',
  'style',
  'textarea',
  'option',
  'noscript',
  'noembed',
  'noframes',
  'title',
  'xmp',
  'iframe',
  'template',
  'object',
  'svg',
  'math',
  'select',
  'head',
];

// No id/name (DOM clobbering of the host page) and no class (mail <style> is dropped anyway).
const GLOBAL_ATTRIBUTES = ['style', 'align', 'valign', 'dir', 'lang', 'title', 'width', 'height', 'bgcolor'];

export const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  '*': GLOBAL_ATTRIBUTES,
  a: ['href', 'target', 'rel'],
  img: ['src', 'alt', 'border', 'data-orgmail-blocked-src'],
  table: ['border', 'cellpadding', 'cellspacing'],
  td: ['colspan', 'rowspan', 'nowrap'],
  th: ['colspan', 'rowspan', 'nowrap', 'scope'],
  col: ['span'],
  colgroup: ['span'],
  font: ['color', 'face', 'size'],
  ol: ['start', 'type', 'reversed'],
  ul: ['type'],
  li: ['value'],
  hr: ['size', 'noshade'],
};

/*
 * CSS values: words, numbers, units, colours, quoted font names (Chinese ones too) and the
 * rgb()/hsl() colour functions. No other "(" means no url(), expression(), image-set(), var();
 * no ":" means no javascript:; no "\" or "/*" means no escapes or comments to hide either in.
 */
const SAFE_VALUE = /^(?:[\p{L}\p{N}\s#.,%!'"_-]|(?<![\w-])(?:rgba?|hsla?)\([\d\s.,%]+\))*$/iu;
const DISPLAY = /^(?:none|block|inline|inline-block|table|table-row|table-cell|list-item)$/i;

const SAFE_PROPERTIES = [
  'color',
  'background-color',
  'background',
  'font',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'font-variant',
  'text-align',
  'text-decoration',
  'text-indent',
  'text-transform',
  'text-overflow',
  'line-height',
  'letter-spacing',
  'word-spacing',
  'word-break',
  'word-wrap',
  'overflow-wrap',
  'white-space',
  'vertical-align',
  'direction',
  'margin',
  'margin-top',
  'margin-right',
  'margin-bottom',
  'margin-left',
  'padding',
  'padding-top',
  'padding-right',
  'padding-bottom',
  'padding-left',
  'border',
  'border-top',
  'border-right',
  'border-bottom',
  'border-left',
  'border-color',
  'border-style',
  'border-width',
  'border-radius',
  'border-collapse',
  'border-spacing',
  'width',
  'height',
  'min-width',
  'max-width',
  'min-height',
  'max-height',
  'list-style',
  'list-style-type',
  'table-layout',
  'float',
  'clear',
  'overflow',
];

// position, z-index, transform, content, behavior, -moz-binding and friends are absent on purpose:
// they let a mail draw over the reader's UI or run code.
export const ALLOWED_STYLES: Record<string, Record<string, RegExp[]>> = {
  '*': {
    ...Object.fromEntries(SAFE_PROPERTIES.map((property) => [property, [SAFE_VALUE]])),
    display: [DISPLAY],
  },
};

/** Image types a `data:` src may carry; SVG is excluded (it is a document, not a picture). */
export const DATA_IMAGE = /^data:image\/(?:png|jpeg|jpg|gif|webp)(?:;[a-z0-9=.+-]+)*;base64,[a-z0-9+/=\s]*$/i;

/** Schemes a link may use. */
export const LINK_SCHEMES = new Set(['http:', 'https:', 'mailto:']);
