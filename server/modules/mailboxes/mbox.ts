/**
 * mboxrd (RFC 4155 and the "mboxrd" convention): each message starts with a
 * `From <envelope sender> <asctime date>` line, any body line that begins with zero or more `>`
 * followed by `From ` gets one more `>` (so reading it back is exact: strip one `>`), lines end in
 * LF, and a blank line ends each message.
 */
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The separator line: `From sender@example.com Mon Nov 23 17:13:51 2026` (UTC, asctime layout). */
export function mboxFromLine(sender: string | null, date: Date): string {
  // The sender is one token: no spaces or control characters; nothing known → MAILER-DAEMON.
  const who = (sender ?? '').replace(/[\s\p{Cc}]+/gu, '') || 'MAILER-DAEMON';
  const pad = (n: number) => String(n).padStart(2, '0');
  const asctime =
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
  return `From ${who} ${asctime}\n`;
}

/** One message as an mboxrd record: separator, quoted LF-ended content, blank line. */
export function mboxRecord(sender: string | null, date: Date, raw: Buffer): Buffer {
  // latin1 maps bytes 1:1, so 8-bit and UTF-8 content passes through untouched.
  let text = raw.toString('latin1').replace(/\r\n/g, '\n');
  text = text.replace(/^(>*From )/gm, '>$1');
  if (!text.endsWith('\n')) text += '\n';
  return Buffer.concat([
    Buffer.from(mboxFromLine(sender, date), 'latin1'),
    Buffer.from(text, 'latin1'),
    Buffer.from('\n'),
  ]);
}
