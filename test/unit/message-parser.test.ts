import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { AppError } from '../../server/platform/errors';
import {
  MessageParseError,
  parseMessage,
  type ParsedMessage,
} from '../../server/modules/mail/message-parser';
import { sanitizeFilename } from '../../server/modules/mail/message-attachments';

const FIXTURES = resolve(__dirname, '../../../test/fixtures/mail');
const NOW = new Date('2024-06-05T00:00:00Z');
const fixture = (name: string) => readFileSync(resolve(FIXTURES, name));
const parse = (name: string) => parseMessage(fixture(name), { now: NOW });
const eml = (lines: string[], body = 'body') => Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body + '\r\n');

describe('parseMessage', () => {
  describe('Chinese charsets', () => {
    it('decodes a GBK 8bit body', async () => {
      const message = await parse('gbk-body.eml');
      expect(message.text).to.equal('您好，附件是采购合同（第二版），请查收。\n顺颂商祺\n');
      expect(message.snippet).to.equal('您好，附件是采购合同（第二版），请查收。 顺颂商祺');
    });

    it('decodes a GB2312 base64 body', async () => {
      expect((await parse('gb2312-body.eml')).text).to.equal('会议通知：明天上午九点在三楼会议室开会。');
    });

    it('decodes a GB18030 HTML body with characters outside GBK, and extracts its text', async () => {
      const message = await parse('gb18030-body.eml');
      expect(message.html).to.include('<p>生僻字测试：𠀀 和 䶮，欧元符号 €。</p>');
      expect(message.text).to.equal('生僻字测试：𠀀 和 䶮，欧元符号 €。');
    });

    it('decodes a Big5 body', async () => {
      expect((await parse('big5-body.eml')).text).to.equal('繁體中文測試：臺灣銀行營業時間。\n');
    });

    it('decodes GB18030 bytes mislabelled gb2312 (the label is read as GB18030, as browsers do)', async () => {
      expect((await parse('malformed-mislabeled-gb2312.eml')).text).to.equal('标注为GB2312实为GB18030：𠀀\n');
    });

    it('guesses GB18030 for an unlabelled non-UTF-8 body', async () => {
      expect((await parse('malformed-undeclared-charset.eml')).text).to.equal('未声明字符集的正文\n');
    });

    it('reads raw 8-bit GBK headers', async () => {
      const message = await parse('malformed-raw-gbk-header.eml');
      expect(message.subject).to.equal('原始GBK主题');
      expect(message.from).to.deep.equal([{ name: '王五', address: 'wangwu@example.cn' }]);
    });

    it('keeps reading unlabelled UTF-8 as UTF-8', async () => {
      const message = await parseMessage(eml(['Subject: 你好', 'Content-Type: text/plain'], '纯UTF-8正文'));
      expect(message.subject).to.equal('你好');
      expect(message.text).to.equal('纯UTF-8正文\n');
    });
  });

  describe('headers', () => {
    it('decodes RFC 2047 GBK and gb2312 subjects and names, and lowercases addresses', async () => {
      const message = await parse('rfc2047-subject-gbk.eml');
      expect(message.subject).to.equal('采购合同（第二版）');
      expect(message.from).to.deep.equal([{ name: '王经理', address: 'wang.manager@example.cn' }]);
      expect(message.to).to.deep.equal([
        { name: '采购部', address: 'purchase@orgmail.test' },
        { name: '李四', address: 'lisi@orgmail.test' },
      ]);
      expect(message.cc).to.deep.equal([{ name: '张三', address: 'zhangsan@orgmail.test' }]);
    });

    it('normalizes threading headers', async () => {
      const message = await parse('rfc2047-subject-gbk.eml');
      expect(message.messageId).to.equal('rfc2047-1@example.cn');
      expect(message.messageIdGenerated).to.equal(false);
      expect(message.inReplyTo).to.equal('root-0@example.cn');
      expect(message.references).to.deep.equal(['root-0@example.cn', 'reply-1@example.cn']);
    });

    it('generates a deterministic Message-ID from the raw bytes when there is none', async () => {
      const raw = fixture('malformed-undeclared-charset.eml');
      const first = await parseMessage(raw);
      const digest = createHash('sha256').update(raw).digest('hex').slice(0, 32);
      expect(first.messageId).to.equal(`${digest}@generated.orgmail.invalid`);
      expect(first.messageIdGenerated).to.equal(true);
      expect((await parseMessage(raw)).messageId).to.equal(first.messageId);
    });

    it('caps an oversized References header, keeping the root and the latest ids', async () => {
      const ids = Array.from({ length: 300 }, (_, i) => `<r${i}@x>`).join(' ');
      const message = await parseMessage(eml(['From: a@x', `References: ${ids}`]));
      expect(message.references).to.have.length(100);
      expect(message.references[0]).to.equal('r0@x');
      expect(message.references[99]).to.equal('r299@x');
    });

    it('flattens groups and keeps sender and reply-to', async () => {
      const message = await parse('plain.eml');
      expect(message.from).to.deep.equal([{ name: 'Alice Example', address: 'alice@example.com' }]);
      expect(message.sender).to.deep.equal([{ name: '', address: 'list-bounces@lists.example.com' }]);
      expect(message.replyTo).to.deep.equal([{ name: '', address: 'team@example.com' }]);
      expect(message.to.map((a) => a.address)).to.deep.equal([
        'bob@orgmail.test',
        'carol@orgmail.test',
        'dave@orgmail.test',
      ]);
      expect(message.messageId).to.equal('Plain-1@Example.COM');
    });

    it('reads the Date header, and flags one more than a day ahead', async () => {
      expect((await parse('plain.eml')).date?.toISOString()).to.equal('2024-06-04T09:30:00.000Z');
      const future = await parseMessage(eml(['Date: Sat, 08 Jun 2024 00:00:00 +0000']), { now: NOW });
      expect(future.date?.toISOString()).to.equal('2024-06-08T00:00:00.000Z');
      expect(future.dateIsSuspicious).to.equal(true);
      const soon = await parseMessage(eml(['Date: Wed, 05 Jun 2024 12:00:00 +0000']), { now: NOW });
      expect(soon.dateIsSuspicious).to.equal(false);
    });

    it('gives a null date for a missing or unparseable Date header', async () => {
      expect((await parse('malformed-nul-bare-lf.eml')).date).to.equal(null);
      expect((await parse('malformed-undeclared-charset.eml')).date).to.equal(null);
    });

    it('keeps the raw headers later stages need', async () => {
      const { headers } = await parse('plain.eml');
      expect(headers['list-id']).to.deep.equal(['Weekly <weekly.lists.example.com>']);
      expect(headers['authentication-results']).to.deep.equal([
        'mx.orgmail.test; spf=pass smtp.mailfrom=example.com',
      ]);
      expect(headers.received).to.have.length(1);
      expect(headers.precedence).to.deep.equal(['list']);
    });
  });

  describe('importance and RFC 3834 signals', () => {
    const importance = async (header: string) => (await parseMessage(eml(['From: a@x', header]))).importance;

    it('reads Importance, X-Priority and Priority', async () => {
      expect((await parse('rfc2047-subject-gbk.eml')).importance).to.equal('high');
      expect((await parse('plain.eml')).importance).to.equal('low');
      expect(await importance('X-Priority: 1 (Highest)')).to.equal('high');
      expect(await importance('X-Priority: 3')).to.equal('normal');
      expect(await importance('Priority: urgent')).to.equal('high');
      expect(await importance('Importance: low')).to.equal('low');
      expect(await importance('X-Mailer: x')).to.equal('normal');
    });

    it('flags auto-submitted and list mail', async () => {
      const list = await parse('plain.eml');
      expect(list.isAutoSubmitted).to.equal(true);
      expect(list.isBulkOrList).to.equal(true);
      const personal = await parse('gbk-body.eml');
      expect(personal.isAutoSubmitted).to.equal(false);
      expect(personal.isBulkOrList).to.equal(false);
    });

    it('treats Auto-Submitted: no as a person, and each bulk signal on its own', async () => {
      const flags = async (header: string) => {
        const m = await parseMessage(eml(['From: a@x', header]));
        return [m.isAutoSubmitted, m.isBulkOrList];
      };
      expect(await flags('Auto-Submitted: no')).to.deep.equal([false, false]);
      expect(await flags('Auto-Submitted: auto-replied (vacation)')).to.deep.equal([true, false]);
      expect(await flags('Precedence: bulk')).to.deep.equal([false, true]);
      expect(await flags('Precedence: junk')).to.deep.equal([false, true]);
      expect(await flags('List-Unsubscribe: <https://x/u>')).to.deep.equal([false, true]);
    });
  });

  describe('attachments', () => {
    it('decodes RFC 2231 UTF-8 and GBK continuation filenames and sanitizes hostile ones', async () => {
      const message = await parse('rfc2231-filename.eml');
      expect(message.attachments.map((a) => a.filename)).to.deep.equal([
        '采购合同.pdf',
        '报价单（最终）.xlsx',
        'evil.exe',
      ]);
      const [pdf] = message.attachments;
      expect(pdf.id).to.equal('att-1');
      expect(pdf.contentType).to.equal('application/pdf');
      expect(pdf.disposition).to.equal('attachment');
      expect(pdf.content.toString()).to.equal('%PDF-1.4 fake');
      expect(pdf.size).to.equal(13);
      expect(pdf.checksum).to.equal(createHash('sha256').update('%PDF-1.4 fake').digest('hex'));
      expect(message.hasAttachments).to.equal(true);
      expect(message.text).to.equal('两个附件。');
    });

    it('does not count an inline cid image the HTML shows as an attachment', async () => {
      const message = await parse('html-with-cid.eml');
      expect(message.hasAttachments).to.equal(false);
      expect(message.attachments).to.have.length(1);
      const [logo] = message.attachments;
      expect(logo).to.include({
        contentId: 'logo.png@orgmail',
        disposition: 'inline',
        isReferencedInline: true,
        filename: 'logo.png',
      });
      expect(message.text).to.equal('公司标志');
      // raw, with the cid: link kept for the sanitizer to rewrite
      expect(message.html).to.equal('<p>公司标志 <img src="cid:logo.png@orgmail" alt="logo"></p>');
    });

    it('names an unnamed attachment from its content type', async () => {
      const raw = eml(
        ['From: a@x', 'Content-Type: multipart/mixed; boundary=b'],
        '--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n\r\nPNG\r\n--b--',
      );
      expect((await parseMessage(raw)).attachments[0].filename).to.equal('attachment-1.png');
    });

    it('caps attachments by count and by total bytes', async () => {
      const parts = Array.from(
        { length: 5 },
        (_, i) =>
          `--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=f${i}.pdf\r\n\r\n${'x'.repeat(100)}\r\n`,
      ).join('');
      const raw = eml(['From: a@x', 'Content-Type: multipart/mixed; boundary=b'], `${parts}--b--`);
      const byCount = await parseMessage(raw, { maxAttachments: 3 });
      expect(byCount.attachments).to.have.length(3);
      expect(byCount.skippedAttachments).to.equal(2);
      const byBytes = await parseMessage(raw, { maxAttachmentBytes: 250 });
      expect(byBytes.attachments.map((a) => a.contentOmitted)).to.deep.equal([
        false,
        false,
        true,
        true,
        true,
      ]);
      expect(byBytes.attachments[4].size).to.equal(100);
      expect(byBytes.attachments[4].checksum).to.equal(
        createHash('sha256').update('x'.repeat(100)).digest('hex'),
      );
    });

    it('strips paths, controls and bidi overrides from filenames', () => {
      expect(sanitizeFilename('../../etc/passwd')).to.equal('passwd');
      expect(sanitizeFilename('C:\\Users\\x\\report.pdf')).to.equal('report.pdf');
      expect(sanitizeFilename('invoice\u202Egpj.exe')).to.equal('invoicegpj.exe');
      expect(sanitizeFilename('...')).to.equal('');
      expect([...sanitizeFilename('长'.repeat(500) + '.pdf')]).to.have.length(180);
    });
  });

  describe('bodies', () => {
    it('caps body length', async () => {
      const message = await parseMessage(eml(['From: a@x'], 'y'.repeat(5000)), { maxBodyChars: 1000 });
      expect(message.text).to.have.length(1000);
      expect(message.bodyTruncated).to.equal(true);
    });

    it('extracts text from HTML-only mail without script or style content', async () => {
      const html =
        '<html><head><style>p{color:red}</style></head><body><p>第一段&nbsp;&amp;</p><script>x()</script><div>第二段</div></body></html>';
      const message = await parseMessage(eml(['From: a@x', 'Content-Type: text/html; charset=utf-8'], html));
      expect(message.text).to.equal('第一段 &\n第二段');
      expect(message.html).to.include('<script>x()</script>');
    });
  });

  describe('malformed input', () => {
    const malformed = readdirSync(FIXTURES).filter((name) => name.startsWith('malformed-'));

    for (const name of malformed) {
      it(`parses ${name} best effort`, async () => {
        const message: ParsedMessage = await parse(name);
        expect(message.size).to.equal(fixture(name).length);
        expect(message.messageId).to.be.a('string').and.not.equal('');
      });
    }

    it('keeps a header-less input as text', async () => {
      const message = await parse('malformed-no-headers.eml');
      expect(message.text).to.equal('just some text with no header block at all\n\nand a second paragraph\n');
      expect(message.subject).to.equal('');
      expect(message.from).to.deep.equal([]);
    });

    it('keeps the raw body when the multipart boundary is never found', async () => {
      expect((await parse('malformed-broken-boundary.eml')).text).to.include('body text survives');
    });

    it('survives NUL bytes and bare LF line ends', async () => {
      const message = await parse('malformed-nul-bare-lf.eml');
      expect(message.subject).to.equal('NUL and bare LF');
      expect(message.text).to.equal('第一行\n第二行\n');
    });

    it('decodes what it can of broken base64 and quoted-printable', async () => {
      const message = await parse('malformed-bad-base64.eml');
      expect(message.text.startsWith('你好')).to.equal(true);
      expect(message.text).to.include('broken =ZZ qp');
    });

    it('falls back on unknown charsets', async () => {
      const message = await parse('malformed-unknown-charset.eml');
      expect(message.subject).to.equal('hello');
      expect(message.text).to.equal('plain ascii body');
    });

    it('survives random bytes and deep multipart nesting', async () => {
      const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
      await parseMessage(random);
      let nested = 'plain';
      for (let i = 0; i < 60; i++)
        nested = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${nested}\r\n--b${i}--`;
      const message = await parseMessage(Buffer.from(`From: a@x\r\n${nested}\r\n`));
      expect(message.from[0].address).to.equal('a@x');
    });

    it('throws a typed error only for input with nothing in it', async () => {
      for (const raw of [Buffer.alloc(0), Buffer.from('\r\n\r\n  \t'), Buffer.alloc(64)]) {
        try {
          await parseMessage(raw);
          expect.fail('empty input parsed');
        } catch (err) {
          expect(err).to.be.instanceOf(MessageParseError);
          expect(err).to.be.instanceOf(AppError);
          expect((err as AppError).code).to.equal('mail.unparseable');
        }
      }
    });
  });
});
