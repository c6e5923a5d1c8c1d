import { Button, DatePicker, Input, List, NoticeBar, Switch, TextArea, Toast } from 'antd-mobile';
import { useEffect, useState } from 'react';
import { AutoReplyBody } from '../../../shared/mail/vacation';
import { autoReply } from '../../common/endpoints';
import { useI18n } from '../../common/i18n';
import { Page } from '../components/page';
import { Failure, Loading } from '../components/states';
import { errorText, useAsync } from '../../common/hooks';

function isoDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The vacation auto-reply: on/off, dates, subject, text, colleagues only. */
export default function AutoReply() {
  const { t, lang } = useI18n();
  const current = useAsync(autoReply.get, []);
  const [form, setForm] = useState<AutoReplyBody | null>(null);
  const [picking, setPicking] = useState<'startDate' | 'endDate' | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    const d = current.data;
    if (d)
      setForm({
        enabled: d.enabled,
        startDate: d.startDate,
        endDate: d.endDate,
        subject: d.subject,
        body: d.body,
        internalOnly: d.internalOnly,
      });
  }, [current.data]);

  const save = async () => {
    if (!form) return;
    const body = AutoReplyBody.safeParse(form);
    if (!body.success) {
      Toast.show({ content: body.error.issues[0]?.message ?? t('errorGeneric') });
      return;
    }
    setSaving(true);
    try {
      current.setData(await autoReply.save(body.data));
      Toast.show({ icon: 'success', content: t('saved') });
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
    } finally {
      setSaving(false);
    }
  };

  const set = (patch: Partial<AutoReplyBody>) => setForm((f) => (f ? { ...f, ...patch } : f));
  return (
    <Page
      title={t('autoReply')}
      back="/me"
      testId="auto-reply"
      right={
        form ? (
          <Button size="small" color="primary" loading={saving} onClick={() => void save()}>
            {t('save')}
          </Button>
        ) : null
      }
    >
      {current.error && !current.data ? (
        <Failure error={current.error} onRetry={current.reload} />
      ) : !form || !current.data ? (
        <Loading />
      ) : (
        <>
          {current.data.activeNow ? <NoticeBar color="success" content={t('autoReplyActive')} /> : null}
          <List>
            <List.Item extra={<Switch checked={form.enabled} onChange={(enabled) => set({ enabled })} />}>
              {t('autoReplyEnabled')}
            </List.Item>
            <List.Item extra={form.startDate ?? t('autoReplyOpen')} onClick={() => setPicking('startDate')}>
              {t('autoReplyStart')}
            </List.Item>
            <List.Item extra={form.endDate ?? t('autoReplyOpen')} onClick={() => setPicking('endDate')}>
              {t('autoReplyEnd')}
            </List.Item>
            <List.Item
              extra={
                <Switch checked={form.internalOnly} onChange={(internalOnly) => set({ internalOnly })} />
              }
            >
              {t('autoReplyInternalOnly')}
            </List.Item>
          </List>
          <List header={t('autoReplySubject')}>
            <List.Item>
              <Input
                placeholder={t('autoReplySubjectPlaceholder')}
                value={form.subject ?? ''}
                onChange={(v) => set({ subject: v.trim() ? v : null })}
              />
            </List.Item>
          </List>
          <List header={t('autoReplyBody')}>
            <List.Item>
              <TextArea
                placeholder={t('autoReplyBodyPlaceholder', {
                  date: lang === 'en' ? 'December 1' : '12月1日',
                })}
                value={form.body}
                onChange={(body) => set({ body })}
                autoSize={{ minRows: 5 }}
                maxLength={10_000}
              />
            </List.Item>
          </List>
          <div className="hint">{t('autoReplyTimeZone', { tz: current.data.timeZone })}</div>
        </>
      )}
      <DatePicker
        visible={picking !== null}
        onClose={() => setPicking(null)}
        precision="day"
        min={new Date()}
        confirmText={t('confirm')}
        cancelText={t('cancel')}
        onConfirm={(d) => picking && set({ [picking]: isoDate(d) } as Partial<AutoReplyBody>)}
      />
    </Page>
  );
}
