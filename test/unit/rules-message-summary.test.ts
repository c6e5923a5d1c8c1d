import { expect } from 'chai';
import type { Rule } from '../../shared/rules/rule';
import { parseMessage } from '../../server/modules/mail';
import {
  extraHeaderNames,
  needsRawMessage,
  rawHeaderFields,
  summaryFromParsed,
  summaryFromRow,
} from '../../server/modules/rules/message-summary';
import { canonicalAddress } from '../../server/modules/rules/rule-context.repository';
import {
  autoReplyTarget,
  composeAutoReply,
  composeForward,
  mayForward,
} from '../../server/modules/rules/rule-effects';

const rule = (conditions: Rule['conditions']): Rule => ({
  id: 'r',
  name: 'r',
  enabled: true,
  scope: 'personal',
  order: 0,
  match: 'all',
  conditions,
  actions: [{ type: 'mark_read' }],
});

const own = { mailboxId: 'm', memberId: 'p', address: 'zhang.san@acme.test', displayName: '张三' };

describe('rules: message summary and effect guards', () => {
  it('reads only the headers rules ask for, unfolded, from the raw header block (not the body)', () => {
    const raw = Buffer.from(
      'X-Mailer: Foxmail\r\n 7.2\r\nX-Other: a\r\nx-mailer: second\r\nSubject: s\r\n\r\nX-Mailer: in body\r\n',
    );
    expect(rawHeaderFields(raw, new Set(['x-mailer']))).to.deep.equal({
      'x-mailer': ['Foxmail 7.2', 'second'],
    });
    expect(rawHeaderFields(raw, new Set())).to.deep.equal({});
    expect(rawHeaderFields(Buffer.from('no headers at all'), new Set(['x']))).to.deep.equal({});
  });

  it('knows when a stored message needs its blob', () => {
    expect(needsRawMessage([rule([{ field: 'subject', operator: 'contains', value: 'a' }])])).to.equal(false);
    expect(needsRawMessage([rule([{ field: 'body', operator: 'contains', value: 'a' }])])).to.equal(true);
    const listId = rule([{ field: 'header', name: 'List-Id', operator: 'contains', value: 'a' }]);
    expect(needsRawMessage([listId])).to.equal(true);
    expect([...extraHeaderNames([listId])]).to.deep.equal([]); // kept by the parser
    expect([
      ...extraHeaderNames([rule([{ field: 'header', name: 'X-Mailer', operator: 'contains', value: 'a' }])]),
    ]).to.deep.equal(['x-mailer']);
  });

  it('builds the same summary from a parsed message and from a stored row', async () => {
    const raw = Buffer.from(
      'From: =?UTF-8?B?5p2O5Zub?= <li.si@partner.example>\r\nTo: a@acme.test\r\nCc: b@acme.test\r\nSubject: hi\r\nImportance: high\r\n\r\nbody\r\n',
    );
    const parsed = await parseMessage(raw);
    const fromParsed = summaryFromParsed(parsed, raw, []);
    expect(fromParsed).to.deep.include({ subject: 'hi', importance: 'high', hasAttachments: false });
    expect(fromParsed.from).to.deep.equal({ address: 'li.si@partner.example', name: '李四' });
    const fromRow = summaryFromRow(
      {
        id: 'x',
        folder_id: 'f',
        blob_sha256: 's',
        subject: 'hi',
        from_name: '李四',
        from_address: 'li.si@partner.example',
        to_addresses: parsed.to,
        cc_addresses: parsed.cc,
        snippet: 'body',
        has_attachments: false,
        size: parsed.size,
        importance: 'high',
        received_at: new Date(),
      },
      null,
    );
    expect(fromRow.from).to.deep.equal(fromParsed.from);
    expect(fromRow.to.map((a) => a.address)).to.deep.equal(['a@acme.test']);
    expect(fromRow.text).to.equal('body');
  });

  it('canonicalizes addresses like the recipient resolver (case, plus tags)', () => {
    expect(canonicalAddress(' Zhang.San+news@ACME.test. ')).to.equal('zhang.san@acme.test');
  });

  it('never auto-replies to automatic mail, lists, the null sender or itself (RFC 3834)', async () => {
    const parse = (headers: string) =>
      parseMessage(Buffer.from(`From: x@partner.example\r\n${headers}Subject: s\r\n\r\nb\r\n`));
    expect(autoReplyTarget(await parse(''), 'x@partner.example', own)).to.equal('x@partner.example');
    expect(autoReplyTarget(await parse('Reply-To: y@partner.example\r\n'), null, own)).to.equal(
      'y@partner.example',
    );
    expect(autoReplyTarget(await parse('Auto-Submitted: auto-replied\r\n'), null, own)).to.equal(null);
    expect(autoReplyTarget(await parse('Precedence: bulk\r\n'), null, own)).to.equal(null);
    expect(autoReplyTarget(await parse('List-Id: <l.partner.example>\r\n'), null, own)).to.equal(null);
    expect(autoReplyTarget(await parse(''), '', own)).to.equal(null);
    const self = await parseMessage(Buffer.from('From: zhang.san@acme.test\r\nSubject: s\r\n\r\nb\r\n'));
    expect(autoReplyTarget(self, null, own)).to.equal(null);
    expect(mayForward(await parse('Auto-Submitted: auto-forwarded\r\n'))).to.equal(false);
    expect(mayForward(await parse('Auto-Submitted: auto-generated\r\n'))).to.equal(true);
  });

  it('composes a forward (original attached) and a threaded auto-reply, both marked Auto-Submitted', async () => {
    const raw = Buffer.from(
      'From: x@partner.example\r\nMessage-ID: <m1@partner.example>\r\nSubject: 报价\r\n\r\nb\r\n',
    );
    const parsed = await parseMessage(raw);
    const fwd = (await composeForward(own, 'li@other.example', parsed, raw, new Date())).toString();
    expect(fwd).to.match(/^Auto-Submitted: auto-forwarded/m);
    expect(fwd).to.contain('message/rfc822');
    const fwdParsed = await parseMessage(Buffer.from(fwd));
    expect(fwdParsed.subject).to.equal('Fwd: 报价');
    const reply = await parseMessage(
      await composeAutoReply(own, 'x@partner.example', parsed, { body: '我在休假' }, new Date()),
    );
    expect(reply.inReplyTo).to.equal('m1@partner.example');
    expect(reply.isAutoSubmitted).to.equal(true);
    expect(reply.text.trim()).to.equal('我在休假');
    expect(reply.subject).to.contain('报价');
  });
});
