import { z } from 'zod';
import { Uuid } from '../../../shared/common';
import {
  AppPasswordList,
  CreateAppPasswordBody,
  CreatedAppPassword,
} from '../../../shared/mail/app-passwords';
import type { ApiRegistry } from '../../platform/http/api-router';
import type { AppPasswordsService } from './app-passwords.service';

/** An employee's own app passwords for mail clients (SMTP submission). */
export function registerAppPasswordRoutes(api: ApiRegistry, appPasswords: AppPasswordsService): void {
  api.route(
    {
      method: 'get',
      path: '/me/app-passwords',
      summary: 'My app passwords (names and last use; never the passwords)',
      tag: 'app-passwords',
      auth: {},
      response: AppPasswordList,
    },
    async ({ actor }) => ({ appPasswords: await appPasswords.list(actor) }),
  );
  api.route(
    {
      method: 'post',
      path: '/me/app-passwords',
      summary: 'Create an app password; it is shown in this answer only',
      tag: 'app-passwords',
      auth: {},
      body: CreateAppPasswordBody,
      response: CreatedAppPassword,
      status: 201,
    },
    ({ actor, body, ctx }) => appPasswords.create(actor, body.name, ctx),
  );
  api.route(
    {
      method: 'delete',
      path: '/me/app-passwords/:id',
      summary: 'Revoke an app password: mail clients using it stop working at once',
      tag: 'app-passwords',
      auth: {},
      params: z.object({ id: Uuid }),
      response: null,
    },
    ({ actor, params, ctx }) => appPasswords.revoke(actor, params.id, ctx),
  );
}
