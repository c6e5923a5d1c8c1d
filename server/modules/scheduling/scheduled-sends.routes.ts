import { IdParams } from '../../../shared/common';
import { DraftDto, SaveDraftBody } from '../../../shared/mail/compose';
import {
  RescheduleBody,
  ScheduledSendDto,
  ScheduledSendList,
  ScheduledSendQuery,
  UndoSendPreference,
} from '../../../shared/scheduling/scheduled-sends';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { ScheduledSendsService } from './scheduled-sends.service';
import type { SendPreferences } from './send-preferences';

export function registerScheduledSendRoutes(
  api: ApiRegistry,
  d: { scheduled: ScheduledSendsService; prefs: SendPreferences },
): void {
  const auth = { roles: ['employee' as const] };
  api.route(
    {
      method: 'get',
      path: '/mail/scheduled',
      summary: 'My scheduled sends (and undo-window sends), soonest first',
      tag: 'scheduled-sends',
      auth,
      query: ScheduledSendQuery,
      response: ScheduledSendList,
    },
    ({ actor, query }) => d.scheduled.list(actor, query),
  );

  api.route(
    {
      method: 'get',
      path: '/mail/scheduled/:id',
      summary: 'One scheduled send',
      tag: 'scheduled-sends',
      auth,
      params: IdParams,
      response: ScheduledSendDto,
    },
    ({ actor, params }) => d.scheduled.get(actor, params.id),
  );

  api.route(
    {
      method: 'patch',
      path: '/mail/scheduled/:id',
      summary: 'Reschedule: a new sendAt (ISO with offset, or local time with timeZone)',
      tag: 'scheduled-sends',
      auth,
      params: IdParams,
      body: RescheduleBody,
      response: ScheduledSendDto,
    },
    ({ actor, params, body }) => d.scheduled.reschedule(actor, params.id, body),
  );

  api.route(
    {
      method: 'put',
      path: '/mail/scheduled/:id/content',
      summary: 'Edit the waiting message (the draft shape, with its version)',
      tag: 'scheduled-sends',
      auth,
      params: IdParams,
      body: SaveDraftBody,
      response: DraftDto,
    },
    ({ actor, params, body }) => d.scheduled.edit(actor, params.id, body),
  );

  api.route(
    {
      method: 'post',
      path: '/mail/scheduled/:id/cancel',
      summary: 'Undo / cancel: the message goes back to Drafts (409 once it has been sent)',
      tag: 'scheduled-sends',
      auth,
      params: IdParams,
      response: ScheduledSendDto,
    },
    ({ actor, params }) => d.scheduled.cancel(actor, params.id),
  );

  api.route(
    {
      method: 'post',
      path: '/mail/scheduled/:id/send-now',
      summary: 'Send a waiting message at once',
      tag: 'scheduled-sends',
      auth,
      params: IdParams,
      response: ScheduledSendDto,
    },
    ({ actor, params }) => d.scheduled.sendNow(actor, params.id),
  );

  api.route(
    {
      method: 'get',
      path: '/mail/preferences/undo-send',
      summary: 'My undo-send window in seconds (0–30; the organization default until I choose)',
      tag: 'scheduled-sends',
      auth,
      response: UndoSendPreference,
    },
    ({ actor }) => d.prefs.get(actor),
  );

  api.route(
    {
      method: 'put',
      path: '/mail/preferences/undo-send',
      summary: 'Set my undo-send window (0–30 s)',
      tag: 'scheduled-sends',
      auth,
      body: UndoSendPreference,
      response: UndoSendPreference,
    },
    ({ actor, body }) => d.prefs.set(actor, body),
  );
}
