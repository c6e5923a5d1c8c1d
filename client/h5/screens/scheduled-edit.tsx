import { Button, Input, List, TextArea, Toast } from 'antd-mobile';
import { FileOutline } from 'antd-mobile-icons';
import { useEffect, useState } from 'react';
import type { DraftDto, Recipient } from '../../../shared/mail/compose';
import { ApiError } from '../../common/api';
import { errorText } from '../../common/hooks';
import { formatDateTime, formatSize, useI18n } from '../../common/i18n';
import { Page } from '../components/page';
import { RecipientField } from '../components/recipient-field';
import { Failure, Loading } from '../components/states';
import { scheduledContent, scheduledItem } from '../h5-endpoints';
import { goBack } from '../router';

interface Loaded {
  draft: DraftDto;
  dueAt: string;
  /** The body as the user sees it; the HTML part is rebuilt only when it changes. */
  text: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function plainOf(d: DraftDto): string {
  if (d.text !== null) return d.text;
  if (!d.html) return '';
  const doc = new DOMParser().parseFromString(d.html, 'text/html');
  doc.querySelectorAll('br').forEach((br) => br.replaceWith('\n'));
  doc.querySelectorAll('p,div,blockquote').forEach((el) => el.append('\n'));
  return (doc.body.textContent ?? '').replace(/\n{3,}/g, '\n\n');
}

/** Edit a queued scheduled send's recipients, subject and text; it keeps its time (reschedule separately). */
export default function ScheduledEdit(props: { id: string }) {
  const { t, lang } = useI18n();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>();
  const [to, setTo] = useState<Recipient[]>([]);
  const [cc, setCc] = useState<Recipient[]>([]);
  const [subject, setSubject] = useState('');
  const [text, setText] = useState('');
  const [saving, setSaving] = useState(false);

  const load = async () => {
    setError(undefined);
    try {
      const item = await scheduledItem(props.id);
      if (item.status !== 'queued' || !item.messageId)
        throw new ApiError(409, 'not_queued', t('scheduledNotQueued'));
      const draft = await scheduledContent.get(item.messageId);
      const body = plainOf(draft);
      setLoaded({ draft, dueAt: item.dueAt, text: body });
      setTo(draft.to);
      setCc(draft.cc);
      setSubject(draft.subject);
      setText(body);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void load();
  }, [props.id]);

  const save = async () => {
    if (!loaded) return;
    const d = loaded.draft;
    if (to.length + cc.length + d.bcc.length === 0) {
      Toast.show({ content: t('needRecipient') });
      return;
    }
    setSaving(true);
    try {
      const bodyChanged = text !== loaded.text;
      await scheduledContent.save(props.id, {
        version: d.version,
        to,
        cc,
        bcc: d.bcc,
        subject,
        importance: d.importance,
        attachments: d.attachments.map((a) => ({ messageId: a.messageId, attachmentId: a.attachmentId })),
        ...(bodyChanged
          ? { text, html: `<div style="white-space:pre-wrap">${escapeHtml(text)}</div>` }
          : { text: d.text ?? undefined, html: d.html ?? undefined }),
      });
      Toast.show({ icon: 'success', content: t('scheduledEdited') });
      goBack('/scheduled');
    } catch (err) {
      Toast.show({
        icon: 'fail',
        content: err instanceof ApiError && err.status === 409 ? t('scheduledNotQueued') : errorText(err, t),
      });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Page
      title={t('editScheduled')}
      back="/scheduled"
      testId="scheduled-edit"
      right={
        loaded ? (
          <Button
            size="small"
            color="primary"
            loading={saving}
            onClick={() => void save()}
            data-testid="save-scheduled"
          >
            {t('save')}
          </Button>
        ) : null
      }
    >
      {error ? (
        <Failure error={error} onRetry={() => void load()} />
      ) : !loaded ? (
        <Loading />
      ) : (
        <div className="compose">
          <div className="muted small scheduled-due">
            {t('dueAt', { time: formatDateTime(loaded.dueAt, lang) })}
          </div>
          <RecipientField label={t('to')} value={to} onChange={setTo} testId="field-to" />
          <RecipientField label={t('cc')} value={cc} onChange={setCc} testId="field-cc" />
          <div className="compose-line">
            <span className="field-label">{t('subject')}</span>
            <Input value={subject} onChange={setSubject} data-testid="subject" />
          </div>
          {loaded.draft.attachments.length > 0 ? (
            <List className="compose-attachments">
              {loaded.draft.attachments.map((a) => (
                <List.Item
                  key={a.attachmentId}
                  prefix={<FileOutline className="file-icon" />}
                  description={formatSize(a.size)}
                  arrowIcon={false}
                >
                  {a.filename}
                </List.Item>
              ))}
            </List>
          ) : null}
          <TextArea
            className="compose-body"
            placeholder={t('bodyPlaceholder')}
            value={text}
            onChange={setText}
            autoSize={{ minRows: 10 }}
            data-testid="body"
          />
        </div>
      )}
    </Page>
  );
}
