import { expect } from 'chai';
import { AntispamSettings } from '../../shared/mail/antispam';
import { parseMessage } from '../../server/modules/mail';
import type { AuthenticationOutcome } from '../../server/modules/transport/mail-authentication';
import { SenderMatcher, type AntispamPolicy } from '../../server/modules/transport/spam/antispam.service';
import { contentSignals, linkTextMismatch } from '../../server/modules/transport/spam/content-score';
import { judgeMessage } from '../../server/modules/transport/spam/spam-verdict';

const NOW = new Date('2026-11-23T08:00:00Z');

function raw(
  headers: Record<string, string>,
  body = 'hello',
  contentType = 'text/plain; charset=utf-8',
): Buffer {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return Buffer.from([...lines, `Content-Type: ${contentType}`, '', body, ''].join('\r\n'));
}

const clean = {
  From: 'Partner <a@partner.example>',
  To: 'b@corp.test',
  Subject: 'Quarterly report',
  Date: 'Mon, 23 Nov 2026 07:00:00 +0000',
  'Message-ID': '<m1@partner.example>',
};

function policy(overrides: Partial<AntispamSettings> = {}): AntispamPolicy {
  const settings = AntispamSettings.parse(overrides);
  return { settings, allow: new SenderMatcher(settings.allow), block: new SenderMatcher(settings.block) };
}

const auth = (o: Partial<AuthenticationOutcome> = {}): AuthenticationOutcome => ({
  spf: 'none',
  dkim: 'none',
  dmarc: 'none',
  dmarcPolicy: 'none',
  arc: 'none',
  fromDomain: 'partner.example',
  headers: [],
  ...o,
});

describe('antispam: sender lists', () => {
  it('matches addresses, domains with their subdomains, and @domain exactly', () => {
    const m = new SenderMatcher(['boss@partner.example', 'spam.example', '@exact.example']);
    expect(m.matches('BOSS@partner.example')).to.equal(true);
    expect(m.matches('other@partner.example')).to.equal(false);
    expect(m.matches('x@spam.example')).to.equal(true);
    expect(m.matches('x@mail.spam.example')).to.equal(true);
    expect(m.matches('x@notspam.example')).to.equal(false);
    expect(m.matches('x@exact.example')).to.equal(true);
    expect(m.matches('x@sub.exact.example')).to.equal(false);
    expect(m.matches('')).to.equal(false);
    expect(m.matches(null)).to.equal(false);
  });

  it('the settings schema normalizes patterns and refuses junk', () => {
    expect(AntispamSettings.parse({ allow: [' Boss@Partner.Example '] }).allow).to.deep.equal([
      'boss@partner.example',
    ]);
    expect(AntispamSettings.safeParse({ block: ['not a domain'] }).success).to.equal(false);
    expect(AntispamSettings.safeParse({ threshold: 0 }).success).to.equal(false);
    expect(AntispamSettings.parse({})).to.deep.include({
      threshold: 5,
      blockAction: 'refuse',
      dmarcRejectAction: 'refuse',
    });
  });
});

describe('antispam: content signals', () => {
  it('a clean message scores 0', async () => {
    const r = raw(clean);
    const parsed = await parseMessage(r, { now: NOW });
    expect(contentSignals(parsed, r, { envelopeRecipients: ['b@corp.test'], auth: auth() })).to.deep.equal(
      [],
    );
  });

  it('fires the well-known signals', async () => {
    const r = raw(
      {
        From: 'a@partner.example',
        'Reply-To': 'collect@elsewhere.example',
        Subject: 'FREE MONEY NOW!!!',
      },
      '<p>Go to <a href="http://evil.example/login">https://www.mybank.example</a></p>',
      'text/html; charset=utf-8',
    );
    const parsed = await parseMessage(r, { now: NOW });
    const names = contentSignals(parsed, r, {
      envelopeRecipients: Array.from({ length: 12 }, (_, i) => `u${i}@corp.test`),
      auth: auth({ spf: 'fail', dkim: 'fail' }),
    }).map((s) => s.name);
    expect(names).to.include.members([
      'MISSING_DATE',
      'MISSING_MID',
      'FREEMAIL_REPLYTO_MISMATCH',
      'SUBJ_ALL_CAPS',
      'SUBJ_EXCESS_EXCLAIM',
      'MANY_HIDDEN_RCPTS',
      'HTML_ONLY',
      'HTML_LINK_MISMATCH',
      'SPF_FAIL',
      'DKIM_FAIL',
    ]);
  });

  it('link text matching its href (or plain words) is fine', () => {
    expect(linkTextMismatch('<a href="https://www.example.com/x">www.example.com</a>')).to.equal(false);
    expect(linkTextMismatch('<a href="https://t.example.com/x">点击这里</a>')).to.equal(false);
    expect(linkTextMismatch("<a href='https://phish.example'>https://paypal.com</a>")).to.equal(true);
  });

  it('executable attachments count, also inside a zip', async () => {
    const zip = Buffer.alloc(30 + 9);
    zip.writeUInt32LE(0x04034b50, 0);
    zip.writeUInt16LE(9, 26);
    zip.write('setup.exe', 30, 'utf8');
    for (const [name, content] of [
      ['invoice.pdf.exe', Buffer.from('MZ')],
      ['invoice.zip', zip],
    ] as const) {
      const boundary = 'b1';
      const r = Buffer.from(
        [
          ...Object.entries(clean).map(([k, v]) => `${k}: ${v}`),
          'MIME-Version: 1.0',
          `Content-Type: multipart/mixed; boundary=${boundary}`,
          '',
          `--${boundary}`,
          'Content-Type: text/plain',
          '',
          'see attached',
          `--${boundary}`,
          `Content-Type: application/octet-stream; name="${name}"`,
          `Content-Disposition: attachment; filename="${name}"`,
          'Content-Transfer-Encoding: base64',
          '',
          content.toString('base64'),
          `--${boundary}--`,
          '',
        ].join('\r\n'),
      );
      const parsed = await parseMessage(r, { now: NOW });
      const names = contentSignals(parsed, r, { envelopeRecipients: ['b@corp.test'], auth: null }).map(
        (s) => s.name,
      );
      expect(names, name).to.include('EXECUTABLE_ATTACHMENT');
    }
  });
});

describe('antispam: verdict', () => {
  it('score at the threshold goes to Junk with X-Spam headers', async () => {
    const r = raw({ From: 'a@partner.example', Subject: 'WIN A PRIZE TODAY!!!' });
    const parsed = await parseMessage(r, { now: NOW });
    const j = judgeMessage(policy({ threshold: 4 }), {
      parsed,
      raw: r,
      envelopeFrom: 'a@partner.example',
      envelopeRecipients: ['b@corp.test'],
      auth: auth(),
    });
    expect(j.refuse).to.equal(null);
    expect(j.verdict.spam).to.equal(true);
    expect(j.headers[0]).to.equal(`X-Spam-Score: ${j.verdict.score.toFixed(1)}`);
    expect(j.headers[1]).to.match(/^X-Spam-Status: Yes, score=\d+\.\d required=4\.0 tests=.*MISSING_DATE/);
  });

  it('DMARC p=reject refuses (or junks by setting); quarantine junks; allowlist wins over score only', async () => {
    const r = raw(clean);
    const parsed = await parseMessage(r, { now: NOW });
    const input = { parsed, raw: r, envelopeFrom: 'a@partner.example', envelopeRecipients: ['b@corp.test'] };
    const reject = auth({ dmarc: 'fail', dmarcPolicy: 'reject', spf: 'fail' });
    expect(judgeMessage(policy(), { ...input, auth: reject }).refuse).to.match(
      /^5\.7\.1 .*DMARC.*partner\.example/,
    );
    const junked = judgeMessage(policy({ dmarcRejectAction: 'junk' }), { ...input, auth: reject });
    expect(junked).to.deep.include({ refuse: null });
    expect(junked.verdict).to.include({ spam: true });
    const q = judgeMessage(policy(), { ...input, auth: auth({ dmarc: 'fail', dmarcPolicy: 'quarantine' }) });
    expect(q.verdict.spam).to.equal(true);
    // A forged allowlisted domain (DMARC fails) is not trusted…
    expect(judgeMessage(policy({ allow: ['partner.example'] }), { ...input, auth: reject }).refuse).to.be.a(
      'string',
    );
    // …an authenticated one is never junked, whatever its score.
    const allowed = judgeMessage(policy({ allow: ['partner.example'], threshold: 1 }), {
      ...input,
      auth: auth({ spf: 'softfail' }),
    });
    expect(allowed.verdict).to.include({ spam: false });
    expect(allowed.verdict.reasons).to.include('allowlist');
  });

  it('blocklisted senders are refused, or junked when the setting says so', async () => {
    const r = raw(clean);
    const parsed = await parseMessage(r, { now: NOW });
    const input = {
      parsed,
      raw: r,
      envelopeFrom: 'x@bulk.example',
      envelopeRecipients: ['b@corp.test'],
      auth: auth(),
    };
    expect(judgeMessage(policy({ block: ['bulk.example'] }), input).refuse).to.match(/^5\.7\.1/);
    const junk = judgeMessage(
      policy({ block: ['bulk.example'], blockAction: 'junk', allow: ['bulk.example'] }),
      input,
    );
    expect(junk.refuse).to.equal(null);
    expect(junk.verdict).to.include({ spam: true });
  });
});
