import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The one place that reads the environment. Parsed once at boot; every problem is reported
 * together so an operator fixes a bad deployment in one pass.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    error: 'expected true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int('expected a whole number')
  .min(0, 'expected a port from 0 to 65535')
  .max(65535, 'expected a port from 0 to 65535');

const roleList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(z.enum(['http', 'smtp', 'scheduler'], { error: 'roles are http, smtp and scheduler' })).min(1),
  );

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    ROLES: roleList.default(['http', 'smtp', 'scheduler']),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: port.default(3000),
    PUBLIC_URL: z.preprocess(
      emptyAsUndefined,
      z.url({ error: 'expected a URL such as https://mail.example.com' }).optional(),
    ),
    SMTP_HOST: z.string().min(1).default('127.0.0.1'),
    SMTP_PORT: port.default(2525),
    /** Processes serving SMTP (MX and submission) on this host; more than 1 uses every core. */
    SMTP_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
    SMTP_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(50 * 1024 * 1024),
    SMTP_HOSTNAME: z.string().min(1).default('mx.orgmail.local'),
    /** PEM certificate chain and key for STARTTLS on the MX; without both a self-signed pair is made. */
    SMTP_TLS_CERT: z.preprocess(emptyAsUndefined, z.string().optional()),
    SMTP_TLS_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
    /** SMTP submission (mail clients with app passwords). */
    SUBMISSION_HOST: z.string().min(1).default('127.0.0.1'),
    SUBMISSION_PORT: port.default(2587),
    /** capture: mail for other domains is kept in the captured-mail list (unless the organization set a
     *  relay); deliver: sent through the relay or straight to the recipient's MX. */
    OUTBOUND_MODE: z.preprocess(emptyAsUndefined, z.enum(['capture', 'deliver']).optional()),
    /** Port of remote MX hosts in direct delivery (25; tests point it at a local sink). */
    OUTBOUND_MX_PORT: port.default(25),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
        .optional(),
    ),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    EMBEDDED_PG_PORT: port.default(54329),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: z.preprocess(emptyAsUndefined, bool.optional()),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
    JWT_SECRET: z.preprocess(
      emptyAsUndefined,
      z.string().min(32, 'must be at least 32 characters').optional(),
    ),
    JWT_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(30 * 86400)
      .default(12 * 3600),
    JWT_ISSUER: z.string().min(1).default('orgmail'),
    JWT_AUDIENCE: z.string().min(1).default('orgmail-api'),
    DEFAULT_TIME_ZONE: z
      .string()
      .default('Asia/Shanghai')
      .refine(isTimeZone, 'expected an IANA time zone such as Asia/Shanghai'),
    DINGTALK_CORP_ID: z.preprocess(emptyAsUndefined, z.string().optional()),
    DINGTALK_APP_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
    DINGTALK_APP_SECRET: z.preprocess(emptyAsUndefined, z.string().optional()),
    DINGTALK_AGENT_ID: z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().optional()),
    DINGTALK_CALLBACK_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(3).max(64).optional()),
    DINGTALK_CALLBACK_AES_KEY: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^[A-Za-z0-9]{43}$/, 'expected the 43-character EncodingAESKey')
        .optional(),
    ),
    DINGTALK_OAPI_URL: z.url().default('https://oapi.dingtalk.com'),
    DINGTALK_API_URL: z.url().default('https://api.dingtalk.com'),
    DINGTALK_EVENT_MODE: z.enum(['http', 'stream']).default('http'),
    DINGTALK_QPS: z.coerce.number().int().min(1).max(1000).default(20),
    /** on: the console checks domains' DNS records (MX, SPF, DKIM, DMARC, verification); off: shown unchecked.
     *  Default: on in production, off otherwise (the embedded demo's domains are not in public DNS). */
    DNS_CHECKS: z.preprocess(emptyAsUndefined, z.enum(['on', 'off']).optional()),
    /** A JSON DNS table ({"name": {"TXT": [...], "MX": [...]}}) answering every lookup instead of the
     *  system resolver: offline demos and the browser tests (no query leaves the machine). */
    DNS_STATIC_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
    SANDBOX_EMPLOYEES: z.coerce.number().int().min(1).max(200_000).default(200),
    SANDBOX_DEPTH: z.coerce.number().int().min(1).max(10).default(4),
    SANDBOX_SEED: z.coerce.number().int().default(20261123),
    SANDBOX_PORT: port.default(0),
    BOOTSTRAP_TENANT_SLUG: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes')
      .default('demo'),
    BOOTSTRAP_TENANT_NAME: z.string().min(1).default('示例科技有限公司'),
    BOOTSTRAP_DOMAIN: z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i, 'expected a domain name')
      .default('demo.orgmail.test'),
  })
  .superRefine((env, ctx) => {
    const required = [
      'DINGTALK_CORP_ID',
      'DINGTALK_APP_KEY',
      'DINGTALK_APP_SECRET',
      'DINGTALK_AGENT_ID',
    ] as const;
    const given = required.filter((k) => env[k] !== undefined);
    if (
      given.length === required.length &&
      env.DINGTALK_EVENT_MODE === 'http' &&
      (!env.DINGTALK_CALLBACK_TOKEN || !env.DINGTALK_CALLBACK_AES_KEY)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['DINGTALK_CALLBACK_AES_KEY'],
        message:
          'HTTP event push needs DINGTALK_CALLBACK_TOKEN and DINGTALK_CALLBACK_AES_KEY (or set DINGTALK_EVENT_MODE=stream)',
      });
    }
    if (Boolean(env.SMTP_TLS_CERT) !== Boolean(env.SMTP_TLS_KEY)) {
      const missing = env.SMTP_TLS_CERT ? 'SMTP_TLS_KEY' : 'SMTP_TLS_CERT';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message:
          'SMTP_TLS_CERT and SMTP_TLS_KEY are set together (PEM file paths), or neither for a self-signed certificate',
      });
    }
    for (const key of ['SMTP_TLS_CERT', 'SMTP_TLS_KEY'] as const) {
      const file = env[key];
      if (file && !isReadable(file))
        ctx.addIssue({ code: 'custom', path: [key], message: `cannot read the file ${path.resolve(file)}` });
    }
    if (given.length > 0 && given.length < required.length) {
      for (const k of required.filter((k) => env[k] === undefined)) {
        ctx.addIssue({ code: 'custom', path: [k], message: `required together with ${given.join(', ')}` });
      }
    }
  })
  .transform((env) => ({
    env: env.NODE_ENV,
    roles: new Set(env.ROLES),
    http: {
      host: env.HOST,
      port: env.PORT,
      publicUrl: env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
    },
    smtp: {
      host: env.SMTP_HOST,
      port: env.SMTP_PORT,
      processes: env.SMTP_PROCESSES,
      maxBytes: env.SMTP_MAX_BYTES,
      hostname: env.SMTP_HOSTNAME,
      tls:
        env.SMTP_TLS_CERT && env.SMTP_TLS_KEY
          ? { certPath: path.resolve(env.SMTP_TLS_CERT), keyPath: path.resolve(env.SMTP_TLS_KEY) }
          : undefined,
    },
    submission: { host: env.SUBMISSION_HOST, port: env.SUBMISSION_PORT },
    dnsChecks: (env.DNS_CHECKS ?? (env.NODE_ENV === 'production' ? 'on' : 'off')) === 'on',
    dnsStaticFile: env.DNS_STATIC_FILE ? path.resolve(env.DNS_STATIC_FILE) : undefined,
    outbound: {
      mode:
        env.OUTBOUND_MODE ?? (env.NODE_ENV === 'production' ? ('deliver' as const) : ('capture' as const)),
      mxPort: env.OUTBOUND_MX_PORT,
    },
    dataDir: path.resolve(env.DATA_DIR),
    database: env.DATABASE_URL
      ? { mode: 'external' as const, url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
      : { mode: 'embedded' as const, port: env.EMBEDDED_PG_PORT, poolSize: env.DATABASE_POOL_SIZE },
    log: { level: env.LOG_LEVEL, pretty: env.LOG_PRETTY ?? false },
    jwt: {
      secret: env.JWT_SECRET,
      ttlSeconds: env.JWT_TTL_SECONDS,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
    },
    defaultTimeZone: env.DEFAULT_TIME_ZONE,
    dingtalk:
      env.DINGTALK_APP_KEY && env.DINGTALK_APP_SECRET && env.DINGTALK_CORP_ID && env.DINGTALK_AGENT_ID
        ? {
            corpId: env.DINGTALK_CORP_ID,
            appKey: env.DINGTALK_APP_KEY,
            appSecret: env.DINGTALK_APP_SECRET,
            agentId: env.DINGTALK_AGENT_ID,
            callbackToken: env.DINGTALK_CALLBACK_TOKEN,
            callbackAesKey: env.DINGTALK_CALLBACK_AES_KEY,
            oapiBaseUrl: env.DINGTALK_OAPI_URL,
            apiBaseUrl: env.DINGTALK_API_URL,
            qpsPerApi: env.DINGTALK_QPS,
            eventMode: env.DINGTALK_EVENT_MODE,
          }
        : undefined,
    /** Without DingTalk credentials the DingTalk emulator stands in, with a generated demo company. */
    sandbox: {
      employees: env.SANDBOX_EMPLOYEES,
      depth: env.SANDBOX_DEPTH,
      seed: env.SANDBOX_SEED,
      port: env.SANDBOX_PORT,
      qpsPerApi: env.DINGTALK_QPS,
    },
    bootstrap: {
      tenantSlug: env.BOOTSTRAP_TENANT_SLUG,
      tenantName: env.BOOTSTRAP_TENANT_NAME,
      domain: env.BOOTSTRAP_DOMAIN.toLowerCase(),
    },
  }));

export type Config = z.infer<typeof ConfigSchema>;

const SECRET_KEYS = new Set([
  'JWT_SECRET',
  'DATABASE_URL',
  'DINGTALK_APP_SECRET',
  'DINGTALK_CALLBACK_AES_KEY',
  'DINGTALK_CALLBACK_TOKEN',
]);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

function isReadable(file: string): boolean {
  try {
    accessSync(file, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parse an environment (process.env by default). Throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = ConfigSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(environment)';
    const name = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
    // Never echo a secret back, not even a malformed one.
    const raw = name && !SECRET_KEYS.has(name) ? env[name] : undefined;
    const shown =
      raw === undefined ? '' : ` (got ${JSON.stringify(raw.length > 60 ? raw.slice(0, 57) + '...' : raw)})`;
    return `${key}: ${issue.message}${shown}`;
  });
  throw new ConfigError(problems);
}
