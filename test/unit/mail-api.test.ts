import { expect } from 'chai';
import { CreateFolderBody, UpdateFolderBody } from '../../shared/mail/folders';
import { BatchBody, ListMessagesQuery } from '../../shared/mail/messages';
import { AttachmentLinks } from '../../server/modules/mail/attachment-links';
import { indexTokens } from '../../server/modules/mail/message-search.service';
import { queryTokens } from '../../server/modules/mail/search-tokens';
import { htmlTooComplex, MAX_SANITIZED_HTML_CHARS } from '../../server/modules/mail/html-guard';
import {
  contentDisposition,
  decodeCursor,
  emlFilename,
  encodeCursor,
} from '../../server/modules/mail/mail.presenter';
import { AppError } from '../../server/platform/errors';
import { ManualClock } from '../../server/platform/clock';

describe('mail API pure parts', () => {
  describe('keyset cursor', () => {
    it('round-trips the microsecond sort key and id, and is opaque base64url', () => {
      const row = { received_key: '2026-11-23T10:00:00.123456Z', id: '0f8fad5b-d9cb-469f-a165-70867728950e' };
      const cursor = encodeCursor(row);
      expect(cursor).to.match(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor)).to.deep.equal({ receivedAt: row.received_key, id: row.id });
      expect(decodeCursor(undefined)).to.equal(null);
    });

    it('rejects anything it did not hand out with a 400 mail.bad_cursor', () => {
      for (const bad of [
        'AAAA',
        Buffer.from('2026-11-23T10:00:00.123456Z|not-a-uuid').toString('base64url'),
        Buffer.from('2026-13-45T99:00:00.123456Z|0f8fad5b-d9cb-469f-a165-70867728950e').toString('base64url'),
        Buffer.from("x'; DROP TABLE messages; --|0f8fad5b-d9cb-469f-a165-70867728950e").toString('base64url'),
      ]) {
        let err: unknown;
        try {
          decodeCursor(bad);
        } catch (e) {
          err = e;
        }
        expect(err, bad).to.be.instanceOf(AppError);
        expect((err as AppError).status).to.equal(400);
        expect((err as AppError).code).to.equal('mail.bad_cursor');
      }
    });
  });

  describe('download names', () => {
    it('gives an ASCII fallback and the exact UTF-8 name (RFC 5987)', () => {
      expect(contentDisposition('attachment', '采购合同.pdf')).to.equal(
        `attachment; filename="____.pdf"; filename*=UTF-8''%E9%87%87%E8%B4%AD%E5%90%88%E5%90%8C.pdf`,
      );
      expect(contentDisposition('inline', 'a "b" (c)\r\n.png')).to.equal(
        `inline; filename="a _b_ (c).png"; filename*=UTF-8''a%20%22b%22%20%28c%29.png`,
      );
      expect(contentDisposition('attachment', '')).to.include('filename="download"');
    });

    it('makes an .eml name from a subject without path characters', () => {
      expect(emlFilename('Re: 报价/合同 <v2>?')).to.equal('Re 报价 合同 v2.eml');
      expect(emlFilename('   ')).to.equal('message.eml');
      expect(emlFilename('x'.repeat(300))).to.have.length(124);
    });
  });

  describe('HTML guard', () => {
    it('passes ordinary mail layouts and refuses huge or pathologically nested bodies', () => {
      expect(htmlTooComplex('<table><tr><td><p>hi<br><img src="x"></p></td></tr></table>')).to.equal(null);
      expect(htmlTooComplex('<div>'.repeat(1001))).to.equal('too_deep');
      expect(htmlTooComplex('<div></div>'.repeat(5000))).to.equal(null);
      expect(htmlTooComplex('<br>'.repeat(5000))).to.equal(null);
      expect(htmlTooComplex('x'.repeat(MAX_SANITIZED_HTML_CHARS + 1))).to.equal('too_large');
    });
  });

  describe('signed cid links', () => {
    const clock = new ManualClock(new Date('2026-11-23T00:00:00Z'));
    const links = new AttachmentLinks(Buffer.alloc(32, 7), clock);
    const claims = {
      tenantId: '11111111-1111-4111-8111-111111111111',
      mailboxId: '22222222-2222-4222-8222-222222222222',
      messageId: '33333333-3333-4333-8333-333333333333',
      attachmentId: 'att-1',
    };

    it('verifies for its own part only, and expires after an hour', () => {
      const token = links.sign(claims);
      expect(links.verify(token, claims.messageId, 'att-1')).to.deep.equal({
        tenantId: claims.tenantId,
        mailboxId: claims.mailboxId,
      });
      expect(links.verify(token, claims.messageId, 'att-2')).to.equal(null);
      expect(links.verify(token, '44444444-4444-4444-8444-444444444444', 'att-1')).to.equal(null);
      expect(
        links.verify(
          token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
          claims.messageId,
          'att-1',
        ),
      ).to.equal(null);
      expect(
        new AttachmentLinks(Buffer.alloc(32, 8), clock).verify(token, claims.messageId, 'att-1'),
      ).to.equal(null);
      clock.advance(61 * 60 * 1000);
      expect(links.verify(token, claims.messageId, 'att-1')).to.equal(null);
    });
  });

  describe('index tokens', () => {
    it('keeps every other bigram of a CJK run plus the last, and every other token', () => {
      expect(indexTokens(queryTokens('采购合同').tokens)).to.deep.equal(['采购', '合同']);
      expect(indexTokens(queryTokens('年终总').tokens)).to.deep.equal(['年终', '终总']);
      expect(indexTokens(queryTokens('预算审批 合同续签').tokens)).to.deep.equal([
        '预算',
        '审批',
        '合同',
        '续签',
      ]);
      expect(indexTokens(queryTokens('季度预算会议').tokens)).to.deep.equal(['季度', '预算', '会议']);
      expect(indexTokens(queryTokens('budget 合同 wangwu@partner.com').tokens)).to.deep.equal(
        queryTokens('budget 合同 wangwu@partner.com').tokens,
      );
    });
  });

  describe('wire shapes', () => {
    it('validates folder names (Chinese fine; blank, slashes, control characters not)', () => {
      expect(CreateFolderBody.parse({ name: '  项目 Projects ' }).name).to.equal('项目 Projects');
      for (const name of ['', '   ', 'a/b', 'a\\b', 'a\u0000b', 'x'.repeat(101)]) {
        expect(CreateFolderBody.safeParse({ name }).success, JSON.stringify(name)).to.equal(false);
      }
      expect(UpdateFolderBody.safeParse({}).success).to.equal(false);
      expect(UpdateFolderBody.parse({ parentId: null })).to.deep.equal({ parentId: null });
    });

    it('caps batches at 500 and requires a folder for move', () => {
      const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
      expect(BatchBody.safeParse({ ids: Array(500).fill(id), action: 'seen' }).success).to.equal(true);
      expect(BatchBody.safeParse({ ids: Array(501).fill(id), action: 'seen' }).success).to.equal(false);
      expect(BatchBody.safeParse({ ids: [id], action: 'move' }).success).to.equal(false);
    });

    it('parses list queries: flags, default and maximum page size', () => {
      expect(ListMessagesQuery.parse({ unread: '1', flagged: 'false' })).to.deep.include({
        unread: true,
        flagged: false,
        limit: 50,
      });
      expect(ListMessagesQuery.safeParse({ limit: '201' }).success).to.equal(false);
      expect(ListMessagesQuery.safeParse({ unread: 'yes' }).success).to.equal(false);
    });
  });
});
