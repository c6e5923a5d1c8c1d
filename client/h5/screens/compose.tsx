import { Button, DatePicker, Dialog, Input, List, TextArea, Toast } from 'antd-mobile';
import { ClockCircleOutline, DeleteOutline, FileOutline, LinkOutline } from 'antd-mobile-icons';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AttachmentRef, DraftDto, Recipient } from '../../../shared/mail/compose';
import { ApiError } from '../../common/api';
import { compose } from '../../common/endpoints';
import { formatDateTime, formatSize, useI18n } from '../../common/i18n';
import { Page } from '../components/page';
import { RecipientField } from '../components/recipient-field';
import { Failure, Loading } from '../components/states';
import { offerUndo } from '../components/undo-bar';
import { errorText } from '../../common/hooks';
import { goBack } from '../router';

interface Attached {
  ref: AttachmentRef;
  filename: string;
  size: number;
}

interface Fields {
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  subject: string;
  text: string;
  attachments: Attached[];
}

const AUTOSAVE_MS = 1500;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The body as both parts: what was typed, and the same as simple HTML. */
function bodyParts(text: string): { text: string; html: string } {
  const html = `<div style="white-space:pre-wrap">${escapeHtml(text)}</div>`;
  return { text, html };
}

function htmlToText(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  doc.querySelectorAll('br').forEach((br) => br.replaceWith('\n'));
  doc.querySelectorAll('p,div,blockquote').forEach((el) => el.append('\n'));
  return (doc.body.textContent ?? '').replace(/\n{3,}/g, '\n\n');
}

function fromDraft(d: DraftDto): Fields {
  return {
    to: d.to,
    cc: d.cc,
    bcc: d.bcc,
    subject: d.subject,
    text: d.text ?? (d.html ? htmlToText(d.html) : ''),
    attachments: d.attachments.map((a) => ({
      ref: { messageId: a.messageId, attachmentId: a.attachmentId },
      filename: a.filename,
      size: a.size,
    })),
  };
}

const blank: Fields = { to: [], cc: [], bcc: [], subject: '', text: '', attachments: [] };

function hasContent(f: Fields): boolean {
  return (
    f.to.length + f.cc.length + f.bcc.length + f.attachments.length > 0 ||
    f.subject.trim() !== '' ||
    f.text.trim() !== ''
  );
}

/** Compose, reply, reply-all, forward, and editing a draft; autosaved; send now (with undo) or later. */
export default function Compose(props: { query: URLSearchParams }) {
  const { t, lang } = useI18n();
  const q = props.query;
  const [fields, setFields] = useState<Fields | null>(null);
  const [loadError, setLoadError] = useState<unknown>();
  const [showCc, setShowCc] = useState(false);
  const [status, setStatus] = useState<'idle' | 'saving' | 'saved'>('idle');
  const [sending, setSending] = useState(false);
  const [picking, setPicking] = useState(false);
  const [uploads, setUploads] = useState(0);
  const draft = useRef<{ id: string; version: number } | null>(null);
  /** A reply/forward draft the server prefilled on opening, not edited yet: leaving discards it. */
  const untouched = useRef(false);
  const dirty = useRef(false);
  const saving = useRef<Promise<void> | null>(null);
  const latest = useRef<Fields | null>(null);
  latest.current = fields;
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let live = true;
    const start = async (): Promise<Fields> => {
      const draftId = q.get('draft');
      const reply = q.get('reply') ?? q.get('replyAll');
      const forward = q.get('forward');
      let d: DraftDto | null = null;
      if (draftId) d = await compose.getDraft(draftId);
      else if (reply)
        d = await compose.createDraft({
          replyTo: { messageId: reply, mode: q.get('replyAll') ? 'replyAll' : 'reply' },
        });
      else if (forward) d = await compose.createDraft({ forwardOf: forward });
      if (!d) return blank;
      untouched.current = !draftId;
      draft.current = { id: d.id, version: d.version };
      if (d.cc.length || d.bcc.length) setShowCc(true);
      return fromDraft(d);
    };
    start()
      .then((f) => live && setFields(f))
      .catch((err) => live && setLoadError(err));
    return () => {
      live = false;
    };
  }, [q]);

  const save = useCallback(async (): Promise<void> => {
    const f = latest.current;
    if (!f || !dirty.current) return;
    if (saving.current) await saving.current;
    if (!dirty.current) return;
    dirty.current = false;
    setStatus('saving');
    const body = {
      to: f.to,
      cc: f.cc,
      bcc: f.bcc,
      subject: f.subject,
      ...bodyParts(f.text),
      attachments: f.attachments.map((a) => a.ref),
      importance: 'normal' as const,
    };
    const run = (async () => {
      try {
        const d = draft.current
          ? await compose.saveDraft(draft.current.id, { ...body, version: draft.current.version })
          : await compose.createDraft(body);
        draft.current = { id: d.id, version: d.version };
        // The draft's attachments are now parts of the draft itself.
        setFields((prev) => (prev ? { ...prev, attachments: fromDraft(d).attachments } : prev));
        setStatus('saved');
      } catch (err) {
        if (err instanceof ApiError && err.status === 409 && draft.current) {
          const d = await compose.getDraft(draft.current.id);
          draft.current = { id: d.id, version: d.version };
          setFields(fromDraft(d));
          Toast.show({ content: t('draftConflict') });
        } else {
          dirty.current = true;
        }
        setStatus('idle');
      }
    })();
    saving.current = run;
    await run;
    saving.current = null;
  }, [t]);

  // Autosave a moment after the last change.
  useEffect(() => {
    if (!fields || !dirty.current) return;
    const timer = setTimeout(() => void save(), AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [fields, save]);

  const change = (patch: Partial<Fields>) => {
    dirty.current = true;
    untouched.current = false;
    setStatus('idle');
    setFields((prev) => ({ ...(prev ?? blank), ...patch }));
  };

  const leave = async () => {
    const f = latest.current;
    if (untouched.current && draft.current) {
      await compose.deleteDraft(draft.current.id).catch(() => undefined);
    } else if (f && dirty.current && hasContent(f)) {
      await save();
      Toast.show({ content: t('saveDraftAndLeave') });
    }
    goBack('/');
  };

  const send = async (sendAt?: Date) => {
    const f = latest.current;
    if (!f) return;
    if (f.to.length + f.cc.length + f.bcc.length === 0) {
      Toast.show({ content: t('needRecipient') });
      return;
    }
    setSending(true);
    try {
      if (saving.current) await saving.current;
      const result = await compose.send({
        ...(draft.current ? { draftId: draft.current.id, version: draft.current.version } : {}),
        to: f.to,
        cc: f.cc,
        bcc: f.bcc,
        subject: f.subject,
        ...bodyParts(f.text),
        attachments: f.attachments.map((a) => a.ref),
        ...(sendAt ? { sendAt: sendAt.toISOString() } : {}),
      });
      dirty.current = false;
      if (result.kind === 'undo' && result.undoUntil) {
        offerUndo({
          scheduledId: result.scheduledId,
          messageId: result.messageId,
          until: Date.parse(result.undoUntil),
        });
      } else if (result.kind === 'scheduled') {
        Toast.show({ content: t('scheduledFor', { time: formatDateTime(result.dueAt, lang) }) });
      }
      goBack('/');
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t), duration: 3000 });
    } finally {
      setSending(false);
    }
  };

  const attach = async (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) {
      setUploads((n) => n + 1);
      try {
        const up = await compose.upload(file);
        const current = latest.current ?? blank;
        change({
          attachments: [
            ...current.attachments,
            { ref: { uploadId: up.id }, filename: up.filename, size: up.size },
          ],
        });
      } catch (err) {
        Toast.show({
          icon: 'fail',
          content: `${t('uploadFailed', { name: file.name })} ${errorText(err, t)}`,
        });
      } finally {
        setUploads((n) => n - 1);
      }
    }
    if (fileInput.current) fileInput.current.value = '';
  };

  const discard = async () => {
    if (
      !(await Dialog.confirm({
        content: t('discardConfirm'),
        confirmText: t('delete'),
        cancelText: t('cancel'),
      }))
    )
      return;
    dirty.current = false;
    if (draft.current) await compose.deleteDraft(draft.current.id).catch(() => undefined);
    goBack('/');
  };

  const title = q.get('reply')
    ? t('reply')
    : q.get('replyAll')
      ? t('replyAll')
      : q.get('forward')
        ? t('forward')
        : t('compose');
  if (loadError)
    return (
      <Page title={title}>
        <Failure error={loadError} />
      </Page>
    );
  if (!fields)
    return (
      <Page title={title}>
        <Loading />
      </Page>
    );
  const minTime = new Date(Date.now() + 2 * 60_000);
  return (
    <Page
      title={title}
      testId="compose"
      onBack={() => void leave()}
      right={
        <Button
          size="small"
          color="primary"
          loading={sending}
          disabled={uploads > 0}
          onClick={() => void send()}
          data-testid="send"
        >
          {t('send')}
        </Button>
      }
      footer={
        <div className="compose-toolbar">
          <span role="button" onClick={() => fileInput.current?.click()} data-testid="attach">
            <LinkOutline /> {t('addAttachment')}
          </span>
          <span role="button" onClick={() => setPicking(true)} data-testid="schedule">
            <ClockCircleOutline /> {t('scheduleSend')}
          </span>
          <span role="button" onClick={() => void discard()} className="danger">
            <DeleteOutline />
          </span>
          <span className="muted small compose-status">
            {status === 'saving' ? t('draftSaving') : status === 'saved' ? t('draftSaved') : ''}
          </span>
        </div>
      }
    >
      <div className="compose">
        <RecipientField
          label={t('to')}
          value={fields.to}
          onChange={(to) => change({ to })}
          testId="field-to"
        />
        {showCc ? (
          <>
            <RecipientField
              label={t('cc')}
              value={fields.cc}
              onChange={(cc) => change({ cc })}
              testId="field-cc"
            />
            <RecipientField
              label={t('bcc')}
              value={fields.bcc}
              onChange={(bcc) => change({ bcc })}
              testId="field-bcc"
            />
          </>
        ) : (
          <div className="cc-toggle" role="button" onClick={() => setShowCc(true)}>
            {t('showCcBcc')}
          </div>
        )}
        <div className="compose-line">
          <span className="field-label">{t('subject')}</span>
          <Input value={fields.subject} onChange={(subject) => change({ subject })} data-testid="subject" />
        </div>
        {fields.attachments.length > 0 || uploads > 0 ? (
          <List className="compose-attachments">
            {fields.attachments.map((a, i) => (
              <List.Item
                key={i}
                prefix={<FileOutline className="file-icon" />}
                description={formatSize(a.size)}
                extra={
                  <span
                    role="button"
                    onClick={() => change({ attachments: fields.attachments.filter((_, j) => j !== i) })}
                  >
                    ×
                  </span>
                }
                arrowIcon={false}
              >
                {a.filename}
              </List.Item>
            ))}
            {uploads > 0 ? <List.Item>{t('uploading')}</List.Item> : null}
          </List>
        ) : null}
        <TextArea
          className="compose-body"
          placeholder={t('bodyPlaceholder')}
          value={fields.text}
          onChange={(text) => change({ text })}
          autoSize={{ minRows: 10 }}
          data-testid="body"
        />
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          onChange={(e) => void attach(e.target.files)}
          data-testid="file-input"
        />
      </div>
      <DatePicker
        visible={picking}
        onClose={() => setPicking(false)}
        precision="minute"
        min={minTime}
        max={new Date(Date.now() + 365 * 86_400_000)}
        defaultValue={new Date(Date.now() + 60 * 60_000)}
        title={t('pickSendTime')}
        confirmText={t('confirm')}
        cancelText={t('cancel')}
        onConfirm={(value) => void send(value)}
      />
    </Page>
  );
}
