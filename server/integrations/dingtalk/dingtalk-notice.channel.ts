import { UpstreamError } from '../../platform/errors';
import type { Notice, NoticeChannel } from '../../modules/directory';
import type { DingTalkIntegrations } from './dingtalk-integrations';

/** Work notifications (asyncsend_v2) as `oa` cards that open the mini-app on the linked page. */
export class DingTalkNoticeChannel implements NoticeChannel {
  constructor(private readonly integrations: DingTalkIntegrations) {}

  async send(tenantId: string, externalIds: string[], notice: Notice): Promise<void> {
    const app = await this.integrations.app(tenantId);
    if (!app) throw new UpstreamError('dingtalk', 'This organization is not connected to DingTalk', false);
    const url = notice.url;
    const msg = {
      msgtype: 'oa' as const,
      oa: {
        ...(url
          ? {
              message_url:
                `dingtalk://dingtalkclient/action/openapp?corpid=${encodeURIComponent(app.settings.corpId)}` +
                `&container_type=work_platform&app_id=0_${app.settings.agentId}&redirect_type=jump&redirect_url=${encodeURIComponent(url)}`,
              pc_message_url: `dingtalk://dingtalkclient/page/link?url=${encodeURIComponent(url)}&pc_slide=true`,
            }
          : {}),
        head: { bgcolor: 'FF1677FF', text: 'OrgMail' },
        body: {
          title: notice.title.slice(0, 100),
          ...(notice.fields?.length
            ? { form: notice.fields.slice(0, 6).map((f) => ({ key: `${f.label}:`, value: f.value })) }
            : {}),
          content: notice.body.slice(0, 500),
          ...(notice.author ? { author: notice.author } : {}),
        },
      },
    };
    await app.api.notices.sendWorkNotice({ useridList: externalIds, msg });
  }
}
