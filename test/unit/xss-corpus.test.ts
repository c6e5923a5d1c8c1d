import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { type ChildNode, type Element, isTag } from 'domhandler';
import { parseDocument } from 'htmlparser2';
import { sanitizeMailHtml } from '../../server/modules/mail/html-sanitizer';

const fixtures = resolve(__dirname, '../../../test/fixtures');

/** test/fixtures/xss/vectors.txt (one per line, `json:` for control characters) plus the first corpus. */
function loadVectors(): string[] {
  const lines = readFileSync(resolve(fixtures, 'xss/vectors.txt'), 'utf8').split('\n');
  const extended = lines
    .filter((l) => l.trim() !== '' && !l.startsWith('# '))
    .map((l) => (l.startsWith('json:') ? (JSON.parse(l.slice(5)) as string) : l));
  const first = (
    JSON.parse(readFileSync(resolve(fixtures, 'mail/xss/vectors.json'), 'utf8')) as { html: string }[]
  ).map((v) => v.html);
  return [...new Set([...first, ...extended])];
}

const vectors = loadVectors();
const FORBIDDEN_TAGS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'base',
  'meta',
  'link',
  'form',
  'input',
  'button',
  'textarea',
  'select',
  'style',
  'svg',
  'math',
  'template',
  'noscript',
  'portal',
  'isindex',
  'xmp',
  'plaintext',
  'noembed',
  'noframes',
  'bgsound',
  'layer',
  'ilayer',
  'video',
  'audio',
]);
const URL_ATTRIBUTES = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'background',
  'poster',
  'cite',
  'data',
  'dynsrc',
  'lowsrc',
  'srcset',
  'xlink:href',
  'ping',
  'codebase',
  'longdesc',
  'usemap',
  'manifest',
  'icon',
]);
// eslint-disable-next-line no-control-regex
const URL_NOISE = /[\u0000-\u0020\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff]/g;
const SCRIPT_URL = /^(?:javascript|vbscript|livescript|mocha|data:(?!image\/(?:png|jpe?g|gif|webp);))/;

function elements(nodes: ChildNode[], out: Element[] = []): Element[] {
  for (const node of nodes) {
    if (isTag(node)) {
      out.push(node);
      elements(node.children, out);
    }
  }
  return out;
}

/** Problems a browser could execute, found by parsing the output like a browser would. */
function scriptCapable(html: string): string[] {
  const found: string[] = [];
  for (const el of elements(parseDocument(html, { decodeEntities: true }).children)) {
    if (FORBIDDEN_TAGS.has(el.name) || el.name.includes(':')) found.push(`<${el.name}>`);
    for (const [name, value] of Object.entries(el.attribs)) {
      const attr = name.toLowerCase();
      if (attr.startsWith('on')) found.push(`${attr} on <${el.name}>`);
      if (['srcdoc', 'http-equiv', 'formaction', 'xmlns', 'is'].includes(attr)) found.push(`${attr}=`);
      const compact = value.replace(URL_NOISE, '').toLowerCase();
      if ((URL_ATTRIBUTES.has(attr) || attr.includes(':')) && SCRIPT_URL.test(compact))
        found.push(`${attr}="${value.slice(0, 40)}"`);
      if (attr === 'style' && /url\(|expression|javascript|behavior|binding|@import|\\/.test(compact))
        found.push(`style="${value.slice(0, 40)}"`);
    }
  }
  return found;
}

/** @security XSS: well over a hundred known vectors through the mail HTML sanitizer. */
describe('@security XSS corpus through sanitizeMailHtml', () => {
  it(`holds well over 100 distinct vectors (${vectors.length})`, () => {
    expect(vectors.length).to.be.at.least(200);
  });

  it('the checker itself catches what it must (so a pass means something)', () => {
    expect(scriptCapable('<img src=x onerror=alert(1)>')).to.deep.equal(['onerror on <img>']);
    expect(scriptCapable('<a href="jav&#x09;ascript:alert(1)">x</a>')).to.have.length(1);
    expect(scriptCapable('<a href="data:text/html,x">x</a>')).to.have.length(1);
    expect(scriptCapable('<iframe srcdoc="x"></iframe>')).to.have.length(2);
    expect(scriptCapable('<meta http-equiv="refresh">')).to.have.length(2);
    expect(scriptCapable('<p style="background:url(x)">x</p>')).to.have.length(1);
    expect(scriptCapable('<a href="https://ok.example">ok</a><b>粗体</b>')).to.deep.equal([]);
  });

  for (const [remote, label] of [
    [false, 'remote images blocked'],
    [true, 'remote images allowed'],
  ] as const) {
    it(`leaves nothing script-capable in any vector (${label}), stable under a second pass`, () => {
      const failures: string[] = [];
      for (const vector of vectors) {
        const opts = { allowRemoteImages: remote, cidUrl: () => null };
        let out: string;
        try {
          out = sanitizeMailHtml(vector, opts).html;
        } catch (err) {
          failures.push(`${JSON.stringify(vector)} threw ${(err as Error).message}`);
          continue;
        }
        const problems = [...scriptCapable(out), ...scriptCapable(sanitizeMailHtml(out, opts).html)];
        if (problems.length)
          failures.push(`${JSON.stringify(vector)} → ${JSON.stringify(out)}: ${problems.join(', ')}`);
      }
      expect(failures, failures.join('\n')).to.deep.equal([]);
    });
  }
});
