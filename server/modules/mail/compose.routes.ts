import type { Request, Response } from 'express';
import { IdParams } from '../../../shared/common';
import {
  CreateDraftBody,
  DraftDto,
  SaveDraftBody,
  SendBody,
  SendResult,
  UploadDto,
  UploadQuery,
} from '../../../shared/mail/compose';
import { ErrorCodes } from '../../../shared/errors';
import { AppError, ForbiddenError, UnauthenticatedError } from '../../platform/errors';
import type { Actor, Authenticator } from '../../platform/http/actor';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { AttachmentUploadsService } from './attachments-upload.service';
import type { ComposeService } from './compose.service';

/**
 * Compose endpoints: attachment uploads (a raw body, so files up to the send policy's limit pass
 * without raising the JSON body limit), drafts with optimistic versions, and send.
 */
export function registerComposeRoutes(
  api: ApiRegistry,
  d: { compose: ComposeService; uploads: AttachmentUploadsService; authenticator: Authenticator },
): void {
  api.raw(
    {
      method: 'post',
      path: '/mail/uploads',
      summary:
        'Upload one attachment: the body is the file, Content-Type its type, the name in ?filename= or X-Filename (UTF-8, percent-encoded). Answers {id, filename, size, contentType} as JSON; kept 24 h',
      tag: 'compose',
      auth: { roles: ['employee'] },
      query: UploadQuery,
      contentType: 'application/json',
    },
    async (req: Request, res: Response) => {
      const actor = await employee(d.authenticator, req);
      const query = UploadQuery.parse(req.query ?? {});
      // Bodies typed application/json or form-urlencoded were already parsed by the global parsers
      // (their bytes are gone): such files come as application/octet-stream with ?type=.
      if ((req as Request & { _body?: boolean })._body === true) {
        throw new AppError(
          ErrorCodes.unsupportedMediaType,
          415,
          'Upload this file as application/octet-stream and give its type in ?type=',
        );
      }
      const filename = query.filename ?? req.get('x-filename') ?? undefined;
      const dto: UploadDto = await d.uploads.upload(actor, req, {
        filename,
        contentType: query.type ?? req.get('content-type'),
      });
      res.status(201).json(UploadDto.parse(dto));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/mail/drafts',
      summary:
        'New draft; with replyTo or forwardOf it starts prefilled (recipients, subject, quote, attachments)',
      tag: 'compose',
      auth: { roles: ['employee'] },
      body: CreateDraftBody,
      response: DraftDto,
      status: 201,
    },
    ({ actor, body }) => d.compose.createDraft(actor, body),
  );

  api.route(
    {
      method: 'get',
      path: '/mail/drafts/:id',
      summary: 'One draft as the user wrote it, with its version for autosave',
      tag: 'compose',
      auth: { roles: ['employee'] },
      params: IdParams,
      response: DraftDto,
    },
    ({ actor, params }) => d.compose.getDraft(actor, params.id),
  );

  api.route(
    {
      method: 'put',
      path: '/mail/drafts/:id',
      summary: 'Save (autosave) a draft; 409 when `version` is not the current one',
      tag: 'compose',
      auth: { roles: ['employee'] },
      params: IdParams,
      body: SaveDraftBody,
      response: DraftDto,
    },
    ({ actor, params, body }) => d.compose.saveDraft(actor, params.id, body),
  );

  api.route(
    {
      method: 'delete',
      path: '/mail/drafts/:id',
      summary: 'Delete a draft',
      tag: 'compose',
      auth: { roles: ['employee'] },
      params: IdParams,
      response: null,
    },
    ({ actor, params }) => d.compose.deleteDraft(actor, params.id),
  );

  api.route(
    {
      method: 'post',
      path: '/mail/send',
      summary:
        'Send a draft (draftId) or the given fields: now after the undo window, or at sendAt (ISO with offset, or local time with timeZone)',
      tag: 'compose',
      auth: { roles: ['employee'] },
      body: SendBody,
      response: SendResult,
      status: 202,
    },
    ({ actor, body }) => d.compose.send(actor, body),
  );
}

async function employee(authenticator: Authenticator, req: Request): Promise<Actor> {
  const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (!match) throw new UnauthenticatedError('Sign in first: this request needs a bearer token');
  const actor = await authenticator.authenticate(match[1]!);
  if (actor.scope !== 'full')
    throw new ForbiddenError('Finish setting up your account first', ErrorCodes.totpEnrollmentRequired);
  if (!actor.roles.includes('employee')) throw new ForbiddenError();
  return actor;
}
