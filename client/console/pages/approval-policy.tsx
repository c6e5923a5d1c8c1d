import { Button, Card, Col, Form, Input, InputNumber, Radio, Row, Select, Switch } from 'antd';
import type { ApprovalPolicy } from '../../../shared/approval/mail-approval';
import { useI18n } from '../../common/i18n';
import { MemberPicker } from '../components/member-picker';
import { LoadError } from '../components/status';
import { approvals, groups } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT } from '../i18n';

interface PolicyForm {
  enabled: boolean;
  allMembers: boolean;
  departments: string[];
  members: string[];
  allExternal: boolean;
  keywords: string;
  sizeOverMb: number | null;
  recipientDomains: string[];
  approvers: string[];
  timeoutHours: number;
  timeoutAction: 'approve' | 'reject';
}

const lines = (s: string) =>
  s
    .split(/[\n,，;；]+/)
    .map((x) => x.trim())
    .filter(Boolean);

const toForm = (p: ApprovalPolicy): PolicyForm => ({
  enabled: p.enabled,
  allMembers: p.scope.allMembers,
  departments: p.scope.departments,
  members: p.scope.members,
  allExternal: p.triggers.allExternal,
  keywords: p.triggers.keywords.join('\n'),
  sizeOverMb: p.triggers.sizeOverMb,
  recipientDomains: p.triggers.recipientDomains,
  approvers: p.approvers,
  timeoutHours: p.timeoutHours,
  timeoutAction: p.timeoutAction,
});

const fromForm = (f: PolicyForm): ApprovalPolicy => ({
  enabled: f.enabled,
  scope: { allMembers: f.allMembers, departments: f.departments, members: f.members },
  triggers: {
    allExternal: f.allExternal,
    keywords: lines(f.keywords ?? ''),
    sizeOverMb: f.sizeOverMb ?? null,
    recipientDomains: f.recipientDomains,
  },
  approvers: f.approvers,
  timeoutHours: f.timeoutHours,
  timeoutAction: f.timeoutAction,
});

/** The mail approval policy: whose mail, which triggers, who decides, and what a timeout does (audited). */
export function ApprovalPolicyForm() {
  const t = useT();
  const { t: common } = useI18n();
  const data = useAsync(approvals.policy, []);
  const depts = useAsync(
    () => groups.list().then((g) => g.filter((x) => x.kind === 'department' && x.departmentExternalId)),
    [],
  );
  const { busy, run } = useAction();
  const [form] = Form.useForm<PolicyForm>();
  const allMembers = Form.useWatch('allMembers', form);
  if (data.error) return <LoadError error={data.error} onRetry={() => void data.reload()} />;
  if (!data.data) return <Card loading />;
  return (
    <Form<PolicyForm>
      form={form}
      layout="vertical"
      data-testid="approval-policy"
      initialValues={toForm(data.data)}
      onFinish={(f) =>
        void run('save', async () => data.setData(await approvals.savePolicy(fromForm(f))), common('saved'))
      }
    >
      <Row gutter={[16, 16]}>
        <Col span={12}>
          <Card title={t('apScope')} style={{ height: '100%' }}>
            <Form.Item name="enabled" label={t('apEnabled')} valuePropName="checked">
              <Switch data-testid="approval-enabled" />
            </Form.Item>
            <Form.Item name="allMembers" label={t('apAllMembers')} valuePropName="checked">
              <Switch />
            </Form.Item>
            <Form.Item name="departments" label={t('apDepartments')} hidden={allMembers}>
              <Select
                mode="multiple"
                showSearch={{ optionFilterProp: 'label' }}
                options={(depts.data ?? []).map((g) => ({ value: g.departmentExternalId!, label: g.name }))}
              />
            </Form.Item>
            <Form.Item name="members" label={t('apMembers')} hidden={allMembers}>
              <MemberPicker placeholder={t('apSearchMembers')} testId="approval-members" />
            </Form.Item>
            <Form.Item name="approvers" label={t('apApprovers')}>
              <MemberPicker placeholder={t('apSearchMembers')} />
            </Form.Item>
          </Card>
        </Col>
        <Col span={12}>
          <Card title={t('apTriggers')} style={{ height: '100%' }}>
            <Form.Item name="allExternal" label={t('apAllExternal')} valuePropName="checked">
              <Switch data-testid="approval-all-external" />
            </Form.Item>
            <Form.Item name="keywords" label={t('apKeywords')} extra={t('apKeywordsHint')}>
              <Input.TextArea rows={3} placeholder={'机密\n合同'} />
            </Form.Item>
            <Row gutter={12}>
              <Col span={12}>
                <Form.Item name="sizeOverMb" label={t('apSizeOver')}>
                  <InputNumber min={0.1} max={1024} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="timeoutHours" label={t('apTimeoutHours')}>
                  <InputNumber min={1} max={720} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </Row>
            <Form.Item name="recipientDomains" label={t('apDomains')}>
              <Select mode="tags" tokenSeparators={[',', ' ', '\n']} placeholder="partner.example" />
            </Form.Item>
            <Form.Item name="timeoutAction" label={t('apTimeoutAction')}>
              <Radio.Group
                options={(['reject', 'approve'] as const).map((a) => ({
                  value: a,
                  label: t(`apTimeout_${a}`),
                }))}
              />
            </Form.Item>
          </Card>
        </Col>
      </Row>
      <div style={{ marginTop: 16 }}>
        <Button type="primary" htmlType="submit" loading={busy === 'save'} data-testid="approval-policy-save">
          {common('save')}
        </Button>
      </div>
    </Form>
  );
}
