import { expect } from 'chai';
import fc from 'fast-check';
import { documentTokens, queryTokens } from '../../server/modules/mail/search-tokens';

/** A document matches when it holds every query token (what the SQL `@>` does). */
function matches(doc: string, query: string): boolean {
  const have = new Set(documentTokens(doc));
  const q = queryTokens(query);
  return (
    q.tokens.every((t) => have.has(t)) &&
    q.singles.every((s) => doc.normalize('NFKC').toLowerCase().includes(s))
  );
}

describe('search tokens', () => {
  it('Chinese without spaces: 合同 finds 采购合同, and so does the full phrase', () => {
    expect(matches('关于采购合同的补充协议', '合同')).to.equal(true);
    expect(matches('关于采购合同的补充协议', '采购合同')).to.equal(true);
    expect(matches('关于采购合同的补充协议', '销售合同')).to.equal(false);
    expect(documentTokens('采购合同')).to.deep.equal(['采购', '购合', '合同']);
  });

  it('English words are case-insensitive whole words; mixed text splits at the script boundary', () => {
    expect(matches('Q3 Report for 华东区 sales', 'report')).to.equal(true);
    expect(matches('Q3 Report for 华东区 sales', 'REPORT q3')).to.equal(true);
    expect(matches('Q3 Report for 华东区 sales', '华东')).to.equal(true);
    expect(matches('Quarterly', 'quarter')).to.equal(false);
  });

  it('addresses match whole, by local part and by domain', () => {
    const doc = '张三 <zhangsan@acme.com.cn>';
    expect(matches(doc, 'zhangsan@acme.com.cn')).to.equal(true);
    expect(matches(doc, 'zhangsan')).to.equal(true);
    expect(matches(doc, 'acme.com.cn')).to.equal(true);
  });

  it('full-width and compatibility forms fold (ＰＤＦ, 合同) and a single character is set aside', () => {
    expect(matches('附件：合同.pdf', 'ＰＤＦ')).to.equal(true);
    expect(queryTokens('合')).to.deep.equal({ tokens: [], singles: ['合'] });
    expect(matches('采购合同', '合')).to.equal(true);
  });

  it('caps the token count and ignores blob-like words', () => {
    const long = Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(' ');
    expect(documentTokens(long)).to.have.length(5000);
    expect(documentTokens('A'.repeat(200))).to.deep.equal([]);
  });

  it('property: any contiguous piece (of two or more characters) of a document finds it', () => {
    fc.assert(
      fc.property(
        fc.string({
          minLength: 2,
          maxLength: 40,
          unit: fc.constantFrom(...'采购合同报价单华东区销售季度ABCxyz0123 '),
        }),
        fc.nat(),
        fc.nat(),
        (doc, a, b) => {
          const chars = [...doc];
          const start = a % chars.length;
          const end = Math.min(chars.length, start + 2 + (b % 6));
          const piece = chars.slice(start, end).join('').trim();
          // Only pieces that do not cut a Latin word in half: search is by whole Latin words.
          fc.pre(
            piece.length >= 2 &&
              !/[A-Za-z0-9]/.test(chars[start - 1] ?? '') &&
              !/[A-Za-z0-9]/.test(chars[end] ?? ''),
          );
          expect(matches(doc, piece)).to.equal(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
