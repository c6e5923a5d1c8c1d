import { Button, Toast } from 'antd-mobile';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { scheduled } from '../../common/endpoints';
import { useI18n } from '../../common/i18n';
import { errorText } from '../../common/hooks';
import { navigate } from '../router';

/**
 * The undo-send bar: after "send" the message waits out the undo window on the server; until then
 * the bar offers Undo (cancel → the message returns to Drafts and reopens in the editor).
 */
interface PendingSend {
  scheduledId: string;
  messageId: string;
  until: number;
}

let pending: PendingSend | null = null;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

export function offerUndo(p: PendingSend): void {
  pending = p;
  emit();
}

function clear(): void {
  pending = null;
  emit();
}

export function UndoBar() {
  const { t } = useI18n();
  const current = useSyncExternalStore(
    (l) => (listeners.add(l), () => listeners.delete(l)),
    () => pending,
  );
  const [now, setNow] = useState(Date.now());
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    // The compose button steps aside while the bar is up.
    document.body.classList.toggle('undo-open', current !== null);
    if (!current) return;
    const timer = setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= current.until) clear();
    }, 250);
    return () => clearInterval(timer);
  }, [current]);
  if (!current) return null;
  const left = Math.max(0, Math.ceil((current.until - now) / 1000));
  const undo = async () => {
    setBusy(true);
    try {
      await scheduled.cancel(current.scheduledId);
      clear();
      Toast.show({ content: t('undone') });
      navigate(`/compose?draft=${current.messageId}`);
    } catch (err) {
      clear();
      Toast.show({
        icon: 'fail',
        content: (err as { status?: number }).status === 409 ? t('undoTooLate') : errorText(err, t),
      });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="undo-bar" role="status" data-testid="undo-bar">
      <span>
        {t('sentUndo')} <span className="undo-count">{left}s</span>
      </span>
      <Button size="small" fill="none" className="undo-button" loading={busy} onClick={undo}>
        {t('undo')}
      </Button>
    </div>
  );
}
