import type { Request, Response } from 'express';
import type { ZodType, z } from 'zod';
import {
  AttachmentParams,
  AttachmentQuery,
  MessageParams,
  ReadMessageQuery,
} from '../../../shared/mail/messages';
import { ErrorCodes } from '../../../shared/errors';
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../platform/errors';
import type { Actor, Authenticator } from '../../platform/http/actor';
import type { ApiRegistry } from '../../platform/http/api-router';
import { contentDisposition, emlFilename } from './mail.presenter';
import type { MessageReadService } from './message-read.service';

const tag = 'mail';
const INLINE_IMAGE = /^image\/(?:png|jpeg|gif|webp|bmp)$/i;
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
// Types a browser would run or render as a document; always downloaded as opaque bytes.
const ACTIVE_TYPE = /html|xml|svg|javascript|ecmascript|xhtml|x-shockwave|pdf/i;

/** Downloads: the stored .eml, and one part's bytes. Handled by hand (binary), same auth and envelope. */
export function registerMessageDownloadRoutes(
  api: ApiRegistry,
  deps: { read: MessageReadService; authenticator: Authenticator },
): void {
  const { read, authenticator } = deps;
  api.raw(
    {
      method: 'get',
      path: '/mail/messages/:id/raw',
      summary: 'The message exactly as stored (message/rfc822, .eml download)',
      tag,
      auth: {},
      params: MessageParams,
      query: ReadMessageQuery.pick({ mailboxId: true }),
      contentType: 'message/rfc822',
    },
    async (req: Request, res: Response) => {
      const actor = await actorOf(req, authenticator);
      const params = parse(MessageParams, req.params, 'path');
      const query = parse(ReadMessageQuery.pick({ mailboxId: true }), req.query, 'query');
      const { subject, raw } = await read.raw(actor, params.id, query.mailboxId);
      safeHeaders(res);
      res.set('Content-Type', 'message/rfc822');
      res.set('Content-Disposition', contentDisposition('attachment', emlFilename(subject)));
      res.set('Content-Length', String(raw.length));
      res.end(raw);
    },
  );

  api.raw(
    {
      method: 'get',
      path: '/mail/messages/:id/attachments/:attachmentId',
      summary: 'One attachment (a download; cid: images inline through a signed link)',
      tag,
      auth: {},
      params: AttachmentParams,
      query: AttachmentQuery,
      contentType: 'application/octet-stream',
    },
    async (req: Request, res: Response) => {
      const params = parse(AttachmentParams, req.params, 'path');
      const query = parse(AttachmentQuery, req.query, 'query');
      const scope =
        query.token !== undefined && !req.get('authorization')
          ? await read.scopeForLink(query.token, params.id, params.attachmentId)
          : await read.scopeFor(await actorOf(req, authenticator), query.mailboxId, {
              what: 'attachment',
              id: `${params.id}/${params.attachmentId}`,
            });
      if (!scope) throw new NotFoundError('Attachment');
      const part = await read.attachment(scope, params.id, params.attachmentId);
      const inline = query.inline === true && part.contentId !== null && INLINE_IMAGE.test(part.contentType);
      const type =
        inline || (MIME_TYPE.test(part.contentType) && !ACTIVE_TYPE.test(part.contentType))
          ? part.contentType.toLowerCase()
          : 'application/octet-stream';
      safeHeaders(res);
      res.set('Content-Type', type);
      res.set('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', part.filename));
      res.set('Content-Length', String(part.content.length));
      res.set('Cache-Control', 'private, max-age=3600');
      res.end(part.content);
    },
  );
}

/** Nothing served here may be sniffed into a document or run script, whatever the sender labelled it. */
function safeHeaders(res: Response): void {
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Content-Security-Policy', "default-src 'none'; img-src 'self' data:; style-src 'none'; sandbox");
  res.set('Cache-Control', 'private, no-store');
}

async function actorOf(req: Request, authenticator: Authenticator): Promise<Actor> {
  const header = req.get('authorization');
  if (!header) throw new UnauthenticatedError('Sign in first: this request needs a bearer token');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>"');
  const actor = await authenticator.authenticate(match[1]!);
  if (actor.scope !== 'full') {
    throw new ForbiddenError('Finish setting up your account first', ErrorCodes.totpEnrollmentRequired);
  }
  return actor;
}

function parse<T extends ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  throw new ValidationError(`Invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    details: { issues },
  });
}
