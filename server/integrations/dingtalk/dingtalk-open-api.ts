import { DingTalkApiClient, type DingTalkApiConfig, type DingTalkCallStats } from './dingtalk-api.client';
import { DingTalkCallbackApi } from './dingtalk-callback.api';
import { DingTalkDirectoryApi, type DingTalkDirectoryOptions } from './dingtalk-directory.api';
import { DingTalkLoginApi } from './dingtalk-login.api';
import { DingTalkNoticeApi } from './dingtalk-notice.api';

/** Every DingTalk Open API area over one shared transport (one token cache, one set of buckets). */
export interface DingTalkOpenApi {
  client: DingTalkApiClient;
  directory: DingTalkDirectoryApi;
  login: DingTalkLoginApi;
  notices: DingTalkNoticeApi;
  callbacks: DingTalkCallbackApi;
  /** HTTP requests made so far, in all and per path. */
  stats(): DingTalkCallStats;
}

export function createDingTalkOpenApi(
  config: DingTalkApiConfig & { directory?: DingTalkDirectoryOptions },
): DingTalkOpenApi {
  const client = new DingTalkApiClient(config);
  return {
    client,
    directory: new DingTalkDirectoryApi(client, config.directory),
    login: new DingTalkLoginApi(client),
    notices: new DingTalkNoticeApi(client),
    callbacks: new DingTalkCallbackApi(client),
    stats: () => client.stats(),
  };
}
