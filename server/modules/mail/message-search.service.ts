import type { DataSource } from 'typeorm';
import type { SearchQuery, SearchResults } from '../../../shared/mail/search';
import { ValidationError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';
import { folderOf } from './folders.service';
import { MailboxAccess } from './mailbox-access';
import { decodeCursor, encodeCursor, pageOf, SUMMARY_COLUMNS, type SummaryRow } from './mail.presenter';
import { queryTokens } from './search-tokens';

/** How many recent messages a one-CJK-character query looks through per page. */
export const SINGLE_CHAR_SCAN = 5000;
/** Newest messages walked by date before a search falls back to the GIN index (see byTokens). */
export const WALK_WINDOW = 5_000;
/** Walks that the hits' density says will fill the page stop after this many windows in all. */
const MAX_WALK_WINDOWS = 6;

const CJK_BIGRAM = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]{2}$/u;

/**
 * The tokens worth giving the GIN index: of a CJK run's overlapping bigrams (采购 购合 合同) every
 * other one plus the last (采购 合同) still covers every character; other tokens all stay.
 */
export function indexTokens(tokens: string[]): string[] {
  const out: string[] = [];
  let position = 0;
  tokens.forEach((token, i) => {
    const chars = [...token];
    if (!CJK_BIGRAM.test(token)) {
      out.push(token);
      position = 0;
      return;
    }
    const prev = tokens[i - 1];
    if (!(prev && CJK_BIGRAM.test(prev) && [...prev][1] === chars[0])) position = 0;
    const next = tokens[i + 1];
    const continues = !!next && CJK_BIGRAM.test(next) && [...next][0] === chars[1];
    if (position % 2 === 0 || !continues) out.push(token);
    position++;
  });
  return out;
}

function keysetBelow(where: string[], params: unknown[], row: { received_key: string; id: string }) {
  const p = [...params, row.received_key, row.id];
  return {
    where: [...where, `(m.received_at, m.id) < ($${p.length - 1}::timestamptz, $${p.length}::uuid)`],
    params: p,
  };
}

/**
 * Search over subject, addresses, attachment names and body, newest first. Words and CJK
 * bigrams must all be in `search_tokens`: common words are found by walking the newest mail by
 * date, rarer ones through the GIN index (see byTokens). A lone CJK character has no bigram: it
 * is matched as a substring of subject and snippet within a bounded, date-ordered window.
 */
export class MessageSearchService {
  constructor(
    private readonly ds: DataSource,
    /** Overridable so tests can reach the index step with a few messages. */
    private readonly walkWindow = WALK_WINDOW,
  ) {}

  async search(actor: Actor, query: SearchQuery): Promise<SearchResults> {
    const scope = await MailboxAccess.resolve(this.ds, actor, query.mailboxId, { what: 'search' });
    const after = decodeCursor(query.cursor);
    const { tokens, singles } = queryTokens(query.q);
    if (tokens.length === 0 && singles.length === 0) {
      throw new ValidationError('The search has no words or characters to look for', {
        details: { issues: [{ path: 'query.q', message: 'no searchable words' }] },
      });
    }
    const params: unknown[] = [scope.tenantId, scope.mailboxId];
    const where = ['m.tenant_id = $1', 'm.mailbox_id = $2'];
    if (query.folderId) {
      params.push((await folderOf(this.ds, scope, query.folderId)).id);
      where.push(`m.folder_id = $${params.length}`);
    }
    if (after) {
      params.push(after.receivedAt, after.id);
      where.push(`(m.received_at, m.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    if (singles.length === 0)
      return { ...(await this.byTokens(where, params, tokens, query.limit)), partial: false };
    if (tokens.length > 0) {
      params.push(tokens);
      where.push(`m.search_tokens @> $${params.length}::text[]`);
    }
    const order = 'ORDER BY m.received_at DESC, m.id DESC';

    const hit = singles.map((s) => {
      params.push(`%${s}%`);
      return `(m.subject ILIKE $${params.length} OR m.snippet ILIKE $${params.length})`;
    });
    params.push(SINGLE_CHAR_SCAN, query.limit + 1);
    const rows: (SummaryRow & { tail: boolean; scanned: number })[] = await this.ds.query(
      `WITH scan AS MATERIALIZED (
         SELECT ${SUMMARY_COLUMNS}, ${hit.join(' AND ')} AS hit FROM messages m
          WHERE ${where.join(' AND ')} ${order} LIMIT $${params.length - 1})
       (SELECT m.*, false AS tail, 0 AS scanned FROM scan m WHERE m.hit ${order} LIMIT $${params.length})
       UNION ALL
       (SELECT m.*, true AS tail, (SELECT count(*)::int FROM scan) AS scanned FROM scan m
         ORDER BY m.received_at, m.id LIMIT 1)`,
      params,
    );
    const tail = rows.find((r) => r.tail);
    const hits = rows.filter((r) => !r.tail);
    const page = pageOf(hits, query.limit);
    if (page.nextCursor === null && tail && tail.scanned >= SINGLE_CHAR_SCAN) {
      // the window ended before the page filled: continue below the last message looked at
      return { ...page, nextCursor: encodeCursor(tail), partial: true };
    }
    return { ...page, partial: false };
  }

  /**
   * The planner cannot see that the bigrams of one Chinese word occur together (it multiplies
   * their frequencies, expects a handful of rows, then sorts 100k from a bitmap), so the plan is
   * chosen here, from what a first bounded date walk finds:
   * 1. walk the newest `walkWindow` messages by date: fills a page at once for common words;
   * 2. if the walk found some hits, their density predicts how much further a walk must go; while
   *    that is cheaper than fetching every older match, walk on (bounded, re-estimating each time);
   * 3. otherwise fetch the remaining (provably rarer) older matches through the GIN index and sort.
   */
  private async byTokens(where: string[], params: unknown[], tokens: string[], limit: number) {
    const hits = await this.walk(where, params, tokens, this.walkWindow, limit + 1);
    if (hits.length > limit) return pageOf(hits, limit);
    let boundary = await this.boundary(where, params, this.walkWindow);
    if (!boundary) return pageOf(hits, limit);

    let walked = this.walkWindow;
    let below = keysetBelow(where, params, boundary);
    let total: number | null = null;
    while (hits.length > 0) {
      const density = hits.length / walked;
      const walkMore = Math.max(
        Math.ceil(this.walkWindow / 2),
        Math.ceil(((limit + 1 - hits.length) / density) * 1.5),
      );
      total ??= Number(
        (
          await this.ds.query(
            `SELECT coalesce(sum(total_count), 0) AS total FROM folders WHERE tenant_id = $1 AND mailbox_id = $2`,
            params.slice(0, 2),
          )
        )[0].total,
      );
      const olderMatches = density * Math.max(0, total - walked);
      if (walked + walkMore > this.walkWindow * MAX_WALK_WINDOWS || walkMore >= olderMatches) break;
      hits.push(...(await this.walk(below.where, below.params, tokens, walkMore, limit + 1 - hits.length)));
      if (hits.length > limit) return pageOf(hits, limit);
      boundary = await this.boundary(below.where, below.params, walkMore);
      if (!boundary) return pageOf(hits, limit);
      walked += walkMore;
      below = keysetBelow(where, params, boundary);
    }

    const q = [...below.params, indexTokens(tokens), tokens, limit + 1 - hits.length];
    // Only some bigrams go to the index (overlapping ones add posting lists to read, not
    // precision); the full set is checked on the rows, through an expression the index cannot take.
    const rest: SummaryRow[] = await this.ds.query(
      `WITH matches AS MATERIALIZED (
         SELECT m.id, m.received_at FROM messages m
          WHERE ${below.where.join(' AND ')} AND m.search_tokens @> $${q.length - 2}::text[]
            AND (m.search_tokens || '{}'::text[]) @> $${q.length - 1}::text[])
       SELECT ${SUMMARY_COLUMNS}
         FROM (SELECT id, received_at FROM matches ORDER BY received_at DESC, id DESC LIMIT $${q.length}) h
         JOIN messages m ON m.tenant_id = $1 AND m.id = h.id
        ORDER BY m.received_at DESC, m.id DESC`,
      q,
    );
    return pageOf([...hits, ...rest], limit);
  }

  /** Up to `want` matches among the next `rows` messages by date (stops early once it has them). */
  private walk(where: string[], params: unknown[], tokens: string[], rows: number, want: number) {
    const order = 'ORDER BY m.received_at DESC, m.id DESC';
    const p = [...params, tokens, rows, want];
    return this.ds.query(
      `SELECT ${SUMMARY_COLUMNS}
         FROM (SELECT m.* FROM messages m WHERE ${where.join(' AND ')} ${order} LIMIT $${p.length - 1}) m
        WHERE m.search_tokens @> $${p.length - 2}::text[]
        ${order} LIMIT $${p.length}`,
      p,
    ) as Promise<SummaryRow[]>;
  }

  /** The last message a walk of `rows` looked at: an index-only probe of the date index (not paging). */
  private async boundary(where: string[], params: unknown[], rows: number) {
    const [last]: { received_key: string; id: string }[] = await this.ds.query(
      `SELECT m.id, to_char(m.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_key
         FROM messages m WHERE ${where.join(' AND ')} ORDER BY m.received_at DESC, m.id DESC
        OFFSET $${params.length + 1} LIMIT 1`,
      [...params, rows - 1],
    );
    return last ?? null;
  }
}
