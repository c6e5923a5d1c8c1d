import { Router, type Request, type Response } from 'express';
import type { CredentialStore } from './credential-store';
import { openApiRequestId } from './legacy-envelope';
import type { TrafficControl } from './traffic-control';

/**
 * The new (api.dingtalk.com) family: camelCase bodies, token in `x-acs-dingtalk-access-token`,
 * errors as HTTP 4xx/5xx `{code, message, requestid}` (doc §0, §1.2, §1.5).
 */

const TOKEN_HEADER = 'x-acs-dingtalk-access-token';

export function openApiError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ requestid: openApiRequestId(), code, message });
}

export function createOpenApiRouter(deps: {
  corpId: string;
  credentials: CredentialStore;
  traffic: TrafficControl;
}): Router {
  const router = Router();
  const { credentials } = deps;

  router.use((req, res, next) => {
    if (req.path.startsWith('/v1.0/') && deps.traffic.overLimit(req.path)) {
      return openApiError(
        res,
        403,
        'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
        '应用调用该接口的QPS超过限制',
      );
    }
    next();
  });

  /** Query-string and Bearer tokens are refused, as the real gateway does. */
  const authorized = (req: Request, res: Response): boolean => {
    const token = req.get(TOKEN_HEADER);
    if (!token) {
      openApiError(res, 400, 'AuthenticationFailed.MissingParameter', `缺少参数：${TOKEN_HEADER}`);
      return false;
    }
    if (!credentials.isValidToken(token)) {
      openApiError(res, 400, 'InvalidAuthentication', '不合法的access_token');
      return false;
    }
    return true;
  };

  router.post('/v1.0/oauth2/accessToken', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!credentials.checkApp(body.appKey, body.appSecret)) {
      return openApiError(res, 400, 'invalidClientIdOrSecret', '无效的clientId或者clientSecret');
    }
    const { token, expiresIn } = credentials.issueToken();
    res.json({ accessToken: token, expireIn: expiresIn });
  });

  // The unified variant: snake_case in and out, corpId in the path.
  router.post('/v1.0/oauth2/:corpId/token', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (req.params.corpId !== deps.corpId) return openApiError(res, 500, 'unknownError', '未知错误');
    if (body.grant_type !== 'client_credentials') {
      return openApiError(res, 400, 'unsupported.grant.type', '不支持的grant_type');
    }
    if (!credentials.checkApp(body.client_id, body.client_secret)) {
      return openApiError(res, 400, 'invalid.client', '无效的client_id或client_secret');
    }
    const { token, expiresIn } = credentials.issueToken();
    res.json({ access_token: token, expires_in: expiresIn });
  });

  router.post('/v1.0/oauth2/jsapiTickets', (req, res) => {
    if (!authorized(req, res)) return;
    const { ticket, expiresIn } = credentials.issueTicket();
    res.json({ jsapiTicket: ticket, expireIn: expiresIn });
  });

  return router;
}

/** Anything else under /v1.0 that no router answered. */
export function openApiNotFound(_req: Request, res: Response): void {
  openApiError(
    res,
    404,
    'InvalidAction.NotFound',
    'Specified api is not found, please check your url and method.',
  );
}
