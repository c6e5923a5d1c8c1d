import {
  Alert,
  Avatar,
  Button,
  Card,
  Form,
  Input,
  List,
  QRCode,
  Segmented,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { PasswordPolicy, SessionDto, TotpSetupDto } from '../../shared/auth';
import { SandboxAuthCodeDto } from '../../shared/sandbox';
import { api, API_BASE, ApiError, setSession } from '../common/api';
import { listSandboxEmployees, loadClientConfig } from '../common/auth';
import { useI18n } from '../common/i18n';
import { useAsync, useDebounced, useErrorText } from './hooks';
import { useT } from './i18n';

/**
 * Sign-in: the local administrator (password, then TOTP when enrolled; a one-time password must be
 * replaced first; TOTP enrolment when the policy demands it), or DingTalk (in the sandbox, the demo
 * employee picker). Only admins and auditors are kept signed in.
 */

const ORG_KEY = 'orgmail.console.org';
const CONSOLE_ROLES = ['admin', 'auditor'];

function keep(s: SessionDto): void {
  if (!s.member.roles.some((r) => CONSOLE_ROLES.includes(r))) throw new Error('not_admin');
  setSession({
    token: s.token,
    expiresAt: s.expiresAt,
    memberName: s.member.displayName,
    email: s.member.email,
  });
}

/** Calls with the short-lived `enroll` token (not kept as the session). */
async function enrollCall<T>(token: string, path: string, body?: unknown): Promise<T | null> {
  const res = await fetch(`${API_BASE}${path}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    },
    body: JSON.stringify(body ?? {}),
  });
  if (!res.ok) {
    const env = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
    throw new ApiError(
      res.status,
      env?.error?.code ?? `http_${res.status}`,
      env?.error?.message ?? res.statusText,
    );
  }
  return res.status === 204 ? null : ((await res.json()) as T);
}

type Step =
  | { kind: 'password' }
  | { kind: 'totp' }
  | { kind: 'change'; token: string }
  | { kind: 'enroll'; token: string; setup: TotpSetupDto };

interface Creds {
  tenant: string;
  username: string;
  password: string;
}

function LocalSignIn() {
  const t = useT();
  const errorText = useErrorText();
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [creds, setCreds] = useState<Creds | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const login = async (c: Creds, totpCode?: string) => {
    const s = await api(SessionDto, '/auth/login', {
      method: 'POST',
      body: { ...c, totpCode },
      anonymous: true,
    });
    if (s.scope === 'full') return keep(s);
    if (s.member.isPasswordChangeRequired) return setStep({ kind: 'change', token: s.token });
    const setup = await enrollCall<TotpSetupDto>(s.token, '/auth/totp/setup');
    setStep({ kind: 'enroll', token: s.token, setup: TotpSetupDto.parse(setup) });
  };

  const attempt = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'auth.totp_required') setStep({ kind: 'totp' });
      else setError((err as Error).message === 'not_admin' ? t('notAdmin') : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const alert = error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />;

  if (step.kind === 'change')
    return (
      <Form
        layout="vertical"
        data-testid="change-password"
        onFinish={(v: { newPassword: string }) =>
          attempt(async () => {
            await enrollCall(step.token, '/auth/password', {
              currentPassword: creds!.password,
              newPassword: v.newPassword,
            });
            const next = { ...creds!, password: v.newPassword };
            setCreds(next);
            await login(next);
          })
        }
      >
        <Typography.Title level={5}>{t('changePasswordTitle')}</Typography.Title>
        <Typography.Paragraph type="secondary">
          {t('changePasswordHint', { min: PasswordPolicy.minLength })}
        </Typography.Paragraph>
        {alert}
        <Form.Item
          name="newPassword"
          label={t('newPassword')}
          rules={[{ required: true, min: PasswordPolicy.minLength }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="repeat"
          label={t('repeatPassword')}
          dependencies={['newPassword']}
          rules={[
            { required: true },
            ({ getFieldValue }) => ({
              validator: (_, v) =>
                v === getFieldValue('newPassword')
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('passwordsDiffer'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy}>
          {t('signIn')}
        </Button>
      </Form>
    );

  if (step.kind === 'enroll')
    return (
      <Form
        layout="vertical"
        onFinish={(v: { code: string }) =>
          attempt(async () => {
            await enrollCall(step.token, '/auth/totp/enable', { code: v.code });
            setStep({ kind: 'totp' });
          })
        }
      >
        <Typography.Title level={5}>{t('enrollTotpTitle')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('enrollTotpHint')}</Typography.Paragraph>
        {alert}
        <div style={{ display: 'flex', gap: 16, alignItems: 'center', marginBottom: 16 }}>
          <QRCode value={step.setup.otpauthUrl} size={128} />
          <Typography.Text copyable code>
            {step.setup.secret}
          </Typography.Text>
        </div>
        <Form.Item name="code" label={t('totpCode')} rules={[{ required: true, pattern: /^\d{6}$/ }]}>
          <Input maxLength={6} inputMode="numeric" autoComplete="one-time-code" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy}>
          {t('signIn')}
        </Button>
      </Form>
    );

  if (step.kind === 'totp')
    return (
      <Form layout="vertical" onFinish={(v: { code: string }) => attempt(() => login(creds!, v.code))}>
        <Typography.Paragraph type="secondary">{t('totpHint')}</Typography.Paragraph>
        {alert}
        <Form.Item name="code" label={t('totpCode')} rules={[{ required: true, pattern: /^\d{6}$/ }]}>
          <Input maxLength={6} inputMode="numeric" autoComplete="one-time-code" autoFocus />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy}>
          {t('signIn')}
        </Button>
      </Form>
    );

  return (
    <Form
      layout="vertical"
      data-testid="local-sign-in"
      initialValues={{ tenant: localStorage.getItem(ORG_KEY) ?? '', username: 'admin' }}
      onFinish={(v: Creds) =>
        attempt(async () => {
          localStorage.setItem(ORG_KEY, v.tenant);
          setCreds(v);
          await login(v);
        })
      }
    >
      {alert}
      <Form.Item name="tenant" label={t('organization')} rules={[{ required: true }]}>
        <Input autoComplete="organization" />
      </Form.Item>
      <Form.Item name="username" label={t('username')} rules={[{ required: true }]}>
        <Input autoComplete="username" />
      </Form.Item>
      <Form.Item name="password" label={t('password')} rules={[{ required: true }]}>
        <Input.Password autoComplete="current-password" />
      </Form.Item>
      <Button type="primary" htmlType="submit" block loading={busy}>
        {t('signIn')}
      </Button>
    </Form>
  );
}

function SandboxSignIn() {
  const t = useT();
  const errorText = useErrorText();
  const [q, setQ] = useState('');
  const query = useDebounced(q, 200);
  const employees = useAsync(() => listSandboxEmployees(query), [query]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pick = async (userid: string) => {
    setBusy(userid);
    setError(null);
    try {
      const { corpId, code } = await api(SandboxAuthCodeDto, '/sandbox/auth-code', {
        method: 'POST',
        body: { userid },
        anonymous: true,
      });
      keep(
        await api(SessionDto, '/auth/dingtalk', { method: 'POST', body: { corpId, code }, anonymous: true }),
      );
    } catch (err) {
      setError((err as Error).message === 'not_admin' ? t('notAdmin') : errorText(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div data-testid="sandbox-picker">
      <Typography.Paragraph type="secondary">{t('dingTalkSandboxHint')}</Typography.Paragraph>
      {error && (
        <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="sign-in-error" />
      )}
      <Input.Search
        placeholder={t('searchMembers')}
        value={q}
        onChange={(e) => setQ(e.target.value)}
        allowClear
      />
      <List
        style={{ maxHeight: 300, overflow: 'auto', marginTop: 8 }}
        loading={employees.loading}
        dataSource={employees.data ?? []}
        renderItem={(e) => (
          <List.Item
            data-testid="sandbox-employee"
            style={{ cursor: 'pointer' }}
            onClick={() => void pick(e.userid)}
            extra={busy === e.userid ? <Button size="small" loading type="text" /> : null}
          >
            <List.Item.Meta
              avatar={<Avatar style={{ background: '#1677ff' }}>{e.name.slice(-2)}</Avatar>}
              title={
                <span>
                  {e.name} {e.admin && <Tag color="blue">{t('role_admin')}</Tag>}
                </span>
              }
              description={[e.title, ...e.departments].filter(Boolean).join(' · ')}
            />
          </List.Item>
        )}
      />
    </div>
  );
}

export default function SignIn() {
  const t = useT();
  const { lang, setLang } = useI18n();
  const config = useAsync(loadClientConfig, []);
  const tabs = [{ key: 'local', label: t('localTab'), children: <LocalSignIn /> }];
  if (config.data?.mode === 'sandbox')
    tabs.push({ key: 'dingtalk', label: t('dingTalkTab'), children: <SandboxSignIn /> });
  return (
    <div className="sign-in-page">
      <Card style={{ width: 420 }} data-testid="sign-in">
        <div
          style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginBottom: 8 }}
        >
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('consoleName')}
          </Typography.Title>
          <Segmented
            size="small"
            value={lang}
            onChange={(v) => setLang(v as 'zh-CN' | 'en')}
            options={[
              { label: '中文', value: 'zh-CN' },
              { label: 'EN', value: 'en' },
            ]}
          />
        </div>
        <Tabs items={tabs} />
      </Card>
    </div>
  );
}
