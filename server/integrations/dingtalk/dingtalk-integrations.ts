import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { Logger } from '../../platform/logger';
import type { SecretBox } from '../../platform/secrets';
import { DingTalkDirectoryProvider } from './dingtalk-directory.provider';
import { createDingTalkOpenApi, type DingTalkOpenApi } from './dingtalk-open-api';

export const DingTalkAppSettings = z.object({
  corpId: z.string().min(1),
  appKey: z.string().min(1),
  agentId: z.number().int(),
  oapiBaseUrl: z.url().default('https://oapi.dingtalk.com'),
  apiBaseUrl: z.url().default('https://api.dingtalk.com'),
  qpsPerApi: z.number().int().min(1).max(1000).default(20),
  /** App-level subscriptions (developer console) use the appKey; org-level register_call_back uses the corpId. */
  callbackOwnerKey: z.enum(['appKey', 'corpId']).default('appKey'),
  eventMode: z.enum(['http', 'stream']).default('http'),
});
export type DingTalkAppSettings = z.infer<typeof DingTalkAppSettings>;

export const DingTalkAppSecrets = z.object({
  appSecret: z.string().min(1),
  /** HTTP push only; Stream mode needs neither. */
  callbackToken: z.string().min(1).optional(),
  callbackAesKey: z.string().length(43).optional(),
});
export type DingTalkAppSecrets = z.infer<typeof DingTalkAppSecrets>;

export interface DingTalkApp {
  tenantId: string;
  settings: DingTalkAppSettings;
  secrets: DingTalkAppSecrets;
  api: DingTalkOpenApi;
  directory: DingTalkDirectoryProvider;
}

/**
 * Each organization's DingTalk app: settings in `integrations`, secrets sealed with the deployment
 * key. One API client per app and process, so its token cache and rate buckets are shared.
 */
export class DingTalkIntegrations {
  private readonly apps = new Map<string, Promise<DingTalkApp | null>>();

  constructor(
    private readonly ds: DataSource,
    private readonly box: SecretBox,
    private readonly logger: Logger,
  ) {}

  async save(
    tenantId: string,
    settings: z.input<typeof DingTalkAppSettings>,
    secrets: DingTalkAppSecrets,
  ): Promise<void> {
    const parsed = DingTalkAppSettings.parse(settings);
    const sealed = this.box.seal(JSON.stringify(DingTalkAppSecrets.parse(secrets)));
    await this.ds.transaction(async (em) => {
      await em.query(
        `INSERT INTO integrations (tenant_id, provider, settings, sealed_secrets) VALUES ($1, 'dingtalk', $2, $3)
         ON CONFLICT (tenant_id, provider) DO UPDATE SET settings = EXCLUDED.settings, sealed_secrets = EXCLUDED.sealed_secrets, updated_at = now()`,
        [tenantId, JSON.stringify(parsed), sealed],
      );
      await em.query(`UPDATE tenants SET corp_id = $2, updated_at = now() WHERE id = $1`, [
        tenantId,
        parsed.corpId,
      ]);
    });
    this.apps.delete(tenantId);
  }

  /** The tenant's app, or null when the tenant has no DingTalk binding. */
  app(tenantId: string): Promise<DingTalkApp | null> {
    let app = this.apps.get(tenantId);
    if (!app) {
      app = this.load(tenantId);
      this.apps.set(tenantId, app);
      app.catch(() => this.apps.delete(tenantId));
    }
    return app;
  }

  async tenantIdByCorpId(corpId: string): Promise<string | null> {
    const [row] = await this.ds.query(`SELECT id FROM tenants WHERE corp_id = $1 AND status = 'active'`, [
      corpId,
    ]);
    return row?.id ?? null;
  }

  private async load(tenantId: string): Promise<DingTalkApp | null> {
    const [row] = await this.ds.query(
      `SELECT settings, sealed_secrets FROM integrations WHERE tenant_id = $1 AND provider = 'dingtalk'`,
      [tenantId],
    );
    if (!row) return null;
    const settings = DingTalkAppSettings.parse(row.settings);
    const secrets = DingTalkAppSecrets.parse(JSON.parse(this.box.open(row.sealed_secrets)));
    const api = createDingTalkOpenApi({
      oapiBaseUrl: settings.oapiBaseUrl,
      apiBaseUrl: settings.apiBaseUrl,
      appKey: settings.appKey,
      appSecret: secrets.appSecret,
      agentId: settings.agentId,
      qpsPerApi: settings.qpsPerApi,
      logger: this.logger.child({ module: 'dingtalk', tenantId }),
    });
    return { tenantId, settings, secrets, api, directory: new DingTalkDirectoryProvider(api) };
  }
}
