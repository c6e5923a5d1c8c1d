import { Button, Card, Col, Form, Input, InputNumber, Row, Select, Switch, Typography } from 'antd';
import type { ReactNode } from 'react';
import type { SecurityPolicy } from '../../../shared/auth';
import type { AntispamSettings } from '../../../shared/mail/antispam';
import type { SendPolicy } from '../../../shared/mail/send-policy';
import { useI18n } from '../../common/i18n';
import { Pair } from '../components/pair';
import { LoadError } from '../components/status';
import { policies } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT } from '../i18n';

const MB = 1024 * 1024;

/** One settings card: loads the setting, edits it in a form, saves it whole (each save is audited). */
function SettingCard<T extends object, F extends object>(props: {
  title: string;
  testId: string;
  load: () => Promise<T>;
  save: (v: T) => Promise<T>;
  toForm: (v: T) => F;
  fromForm: (f: F, current: T) => T;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const data = useAsync(props.load, []);
  const { busy, run } = useAction();
  if (data.error) return <LoadError error={data.error} onRetry={() => void data.reload()} />;
  if (!data.data) return <Card loading title={props.title} />;
  return (
    <Card title={props.title} data-testid={props.testId} style={{ height: '100%' }}>
      <Form<F>
        layout="vertical"
        initialValues={props.toForm(data.data)}
        onFinish={(f) =>
          void run(
            'save',
            async () => data.setData(await props.save(props.fromForm(f, data.data!))),
            t('saved'),
          )
        }
      >
        {props.children}
        <Button type="primary" htmlType="submit" loading={busy === 'save'}>
          {t('save')}
        </Button>
      </Form>
    </Card>
  );
}

type SendForm = Omit<SendPolicy, 'maxMessageBytes' | 'maxAttachmentBytes'> & {
  maxMessageMb: number;
  maxAttachmentMb: number;
};
type SpamForm = Omit<AntispamSettings, 'allow' | 'block'> & { allow: string; block: string };

const lines = (s: string) =>
  s
    .split(/[\n,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export default function Policies() {
  const t = useT();
  const actions = (['refuse', 'junk'] as const).map((a) => ({ value: a, label: t(`act_${a}`) }));
  return (
    <div data-testid="policies-page">
      <div className="page-head">
        <Typography.Title level={4}>{t('menuPolicies')}</Typography.Title>
      </div>
      <Row gutter={[16, 16]}>
        <Col span={8}>
          <SettingCard<SendPolicy, SendForm>
            title={t('sendPolicy')}
            testId="send-policy"
            load={policies.send}
            save={policies.saveSend}
            toForm={({ maxMessageBytes, maxAttachmentBytes, ...rest }) => ({
              ...rest,
              maxMessageMb: Math.round(maxMessageBytes / MB),
              maxAttachmentMb: Math.round(maxAttachmentBytes / MB),
            })}
            fromForm={({ maxMessageMb, maxAttachmentMb, ...f }, cur) => ({
              ...cur,
              ...f,
              maxMessageBytes: maxMessageMb * MB,
              maxAttachmentBytes: maxAttachmentMb * MB,
            })}
          >
            <Typography.Text strong>{t('featureSwitches')}</Typography.Text>
            <Pair>
              <Form.Item
                name="internalSendingAllowed"
                label={t('internalSendingAllowed')}
                valuePropName="checked"
              >
                <Switch data-testid="internal-sending" />
              </Form.Item>
              <Form.Item
                name="externalSendingAllowed"
                label={t('externalSendingAllowed')}
                valuePropName="checked"
              >
                <Switch data-testid="external-sending" />
              </Form.Item>
            </Pair>
            <Typography.Paragraph type="secondary">{t('internalSendingHint')}</Typography.Paragraph>
            <Form.Item
              name="undoSendDefaultSeconds"
              label={t('undoSendDefaultSeconds')}
              extra={t('undoSendDefaultHint')}
            >
              <InputNumber min={0} max={30} precision={0} style={{ width: 160 }} />
            </Form.Item>
            <Form.Item name="dailyExternalRecipientLimit" label={t('dailyExternalRecipientLimit')}>
              <InputNumber min={0} max={1_000_000} style={{ width: 160 }} />
            </Form.Item>
            <Pair>
              <Form.Item name="maxMessageMb" label={t('maxMessageBytes')}>
                <InputNumber min={1} max={200} style={{ width: '100%' }} />
              </Form.Item>
              <Form.Item name="maxAttachmentMb" label={t('maxAttachmentBytes')}>
                <InputNumber min={1} max={200} style={{ width: '100%' }} />
              </Form.Item>
            </Pair>
          </SettingCard>
        </Col>
        <Col span={8}>
          <SettingCard<AntispamSettings, SpamForm>
            title={t('antispam')}
            testId="antispam"
            load={policies.antispam}
            save={policies.saveAntispam}
            toForm={(v) => ({ ...v, allow: v.allow.join('\n'), block: v.block.join('\n') })}
            fromForm={(f, cur) => ({ ...cur, ...f, allow: lines(f.allow), block: lines(f.block) })}
          >
            <Pair>
              <Form.Item name="scoringEnabled" label={t('scoringEnabled')} valuePropName="checked">
                <Switch />
              </Form.Item>
              <Form.Item name="threshold" label={t('spamThreshold')}>
                <InputNumber min={1} max={100} step={0.5} style={{ width: '100%' }} />
              </Form.Item>
            </Pair>
            <Form.Item name="allow" label={t('allowList')} extra={t('listHint')}>
              <Input.TextArea rows={3} placeholder="partner.example" />
            </Form.Item>
            <Form.Item name="block" label={t('blockList')}>
              <Input.TextArea rows={3} placeholder="@spam.example" data-testid="block-list" />
            </Form.Item>
            <Pair>
              <Form.Item name="blockAction" label={t('blockAction')}>
                <Select options={actions} style={{ width: '100%' }} />
              </Form.Item>
              <Form.Item name="dmarcRejectAction" label={t('dmarcRejectAction')}>
                <Select options={actions} style={{ width: '100%' }} />
              </Form.Item>
            </Pair>
          </SettingCard>
        </Col>
        <Col span={8}>
          <SettingCard<SecurityPolicy, SecurityPolicy>
            title={t('securityPolicy')}
            testId="security-policy"
            load={policies.security}
            save={policies.saveSecurity}
            toForm={(v) => v}
            fromForm={(f, cur) => ({ ...cur, ...f })}
          >
            <Form.Item name="requireTotp" label={t('requireTotp')} valuePropName="checked">
              <Switch />
            </Form.Item>
            <Form.Item name="lockoutMaxFailures" label={t('lockoutMaxFailures')}>
              <InputNumber min={3} max={100} style={{ width: '100%' }} />
            </Form.Item>
            <Pair>
              <Form.Item name="lockoutWindowMinutes" label={t('lockoutWindowMinutes')}>
                <InputNumber min={1} max={1440} style={{ width: '100%' }} />
              </Form.Item>
              <Form.Item name="lockoutMinutes" label={t('lockoutMinutes')}>
                <InputNumber min={1} max={1440} style={{ width: '100%' }} />
              </Form.Item>
            </Pair>
          </SettingCard>
        </Col>
      </Row>
    </div>
  );
}
