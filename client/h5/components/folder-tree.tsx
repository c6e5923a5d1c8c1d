import { ActionSheet, Badge, Button, Dialog, Input, List, Popup, Toast } from 'antd-mobile';
import { AddOutline, MoreOutline } from 'antd-mobile-icons';
import { useMemo, useState } from 'react';
import type { FolderDto, FolderRole } from '../../../shared/mail/folders';
import { errorText } from '../../common/hooks';
import { useI18n, type MessageKey, type Translate } from '../../common/i18n';
import { folderAdmin } from '../h5-endpoints';
import { Failure, Loading } from './states';

export const ROLE_ORDER: FolderRole[] = ['inbox', 'drafts', 'scheduled', 'sent', 'archive', 'junk', 'trash'];

export function folderTitle(folder: Pick<FolderDto, 'role' | 'name'>, t: Translate): string {
  return folder.role ? t(`folder_${folder.role}` as MessageKey) : folder.name;
}

export interface FolderNode {
  folder: FolderDto;
  depth: number;
}

/** Depth-first: system folders in their usual order, then the member's own by name; children under parents. */
export function folderTree(folders: FolderDto[]): FolderNode[] {
  const children = new Map<string | null, FolderDto[]>();
  const ids = new Set(folders.map((f) => f.id));
  for (const f of folders) {
    const parent = f.parentId && ids.has(f.parentId) ? f.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), f]);
  }
  const rank = (f: FolderDto) => (f.role ? ROLE_ORDER.indexOf(f.role) : ROLE_ORDER.length);
  const out: FolderNode[] = [];
  const walk = (parent: string | null, depth: number) => {
    const list = [...(children.get(parent) ?? [])].sort(
      (a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, 'zh-CN'),
    );
    for (const f of list) {
      out.push({ folder: f, depth });
      if (depth < 8) walk(f.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** The folder and every folder below it (a folder cannot move into its own subtree). */
function subtreeIds(folders: FolderDto[], rootId: string): Set<string> {
  const out = new Set([rootId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const f of folders)
      if (f.parentId && out.has(f.parentId) && !out.has(f.id)) {
        out.add(f.id);
        grew = true;
      }
  }
  return out;
}

/** Unread counts matter for mail received; the member's own (sent, drafts, scheduled) are never "new". */
export function showsUnread(f: FolderDto): boolean {
  return f.role !== 'sent' && f.role !== 'drafts' && f.role !== 'scheduled' && f.unread > 0;
}

/** Folders a message may be moved into by hand (not Drafts, Scheduled or Sent). */
export function moveTargets(folders: FolderDto[]): FolderNode[] {
  return folderTree(folders).filter(
    (n) => n.folder.role !== 'drafts' && n.folder.role !== 'scheduled' && n.folder.role !== 'sent',
  );
}

/** The side drawer: folders with unread counts, nesting, and managing the member's own folders. */
export function FolderDrawer(props: {
  folders: FolderDto[] | undefined;
  error: unknown;
  current?: string;
  onPick(folder: FolderDto): void;
  onChanged(): Promise<void> | void;
}) {
  const { t } = useI18n();
  const nodes = useMemo(() => folderTree(props.folders ?? []), [props.folders]);
  const [form, setForm] = useState<FolderFormState | null>(null);
  const [actionsFor, setActionsFor] = useState<FolderDto | null>(null);
  if (props.error) return <Failure error={props.error} onRetry={() => void props.onChanged()} />;
  if (!props.folders) return <Loading />;
  const system = nodes.filter((n) => n.folder.role);
  const own = nodes.filter((n) => !n.folder.role || n.depth > 0);
  const item = ({ folder: f, depth }: FolderNode) => (
    <List.Item
      key={f.id}
      data-testid={`folder-${f.role ?? f.name}`}
      className={f.id === props.current ? 'folder-current' : undefined}
      style={depth > 0 ? { paddingLeft: 12 + depth * 16 } : undefined}
      onClick={() => props.onPick(f)}
      extra={
        <span className="folder-extra">
          {showsUnread(f) ? (
            <Badge content={f.unread > 99 ? '99+' : f.unread} data-testid="folder-unread" />
          ) : f.total > 0 && f.role === 'drafts' ? (
            f.total
          ) : null}
          {f.role ? null : (
            <span
              className="folder-more"
              role="button"
              aria-label={t('folderActions', { name: f.name })}
              data-testid="folder-more"
              onClick={(e) => {
                e.stopPropagation();
                setActionsFor(f);
              }}
            >
              <MoreOutline />
            </span>
          )}
        </span>
      }
      arrowIcon={false}
    >
      <span className="folder-name">{folderTitle(f, t)}</span>
    </List.Item>
  );
  return (
    <div data-testid="folder-drawer">
      <List header={t('folders')}>{system.filter((n) => n.depth === 0).map(item)}</List>
      <List header={t('myFolders')}>
        {own.map(item)}
        <List.Item
          arrowIcon={false}
          prefix={<AddOutline />}
          className="add-row"
          data-testid="new-folder"
          onClick={() => setForm({ mode: 'create', name: '', parentId: null })}
        >
          {t('newFolder')}
        </List.Item>
      </List>
      <ActionSheet
        visible={actionsFor !== null}
        onClose={() => setActionsFor(null)}
        extra={actionsFor ? t('folderActions', { name: actionsFor.name }) : undefined}
        cancelText={t('cancel')}
        actions={
          actionsFor
            ? [
                {
                  key: 'rename',
                  text: t('renameFolder'),
                  onClick: () =>
                    setForm({ mode: 'rename', id: actionsFor.id, name: actionsFor.name, parentId: null }),
                },
                {
                  key: 'new-sub',
                  text: t('newFolder'),
                  onClick: () => setForm({ mode: 'create', name: '', parentId: actionsFor.id }),
                },
                {
                  key: 'move',
                  text: t('moveFolder'),
                  onClick: () =>
                    setForm({
                      mode: 'move',
                      id: actionsFor.id,
                      name: actionsFor.name,
                      parentId: actionsFor.parentId,
                    }),
                },
                {
                  key: 'delete',
                  text: t('deleteFolder'),
                  danger: true,
                  onClick: () => void removeFolder(actionsFor),
                },
              ]
            : []
        }
        onAction={() => setActionsFor(null)}
      />
      <FolderForm
        state={form}
        folders={props.folders}
        onClose={() => setForm(null)}
        onDone={async () => {
          setForm(null);
          await props.onChanged();
        }}
      />
    </div>
  );

  async function removeFolder(f: FolderDto) {
    const ok = await Dialog.confirm({
      content: t('deleteFolderConfirm', { name: f.name }),
      confirmText: t('delete'),
      cancelText: t('cancel'),
    });
    if (!ok) return;
    try {
      const r = await folderAdmin.remove(f.id);
      Toast.show({ content: t('folderDeleted', { count: r.affected }) });
      await props.onChanged();
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
    }
  }
}

type FolderFormState =
  | { mode: 'create'; name: string; parentId: string | null }
  | { mode: 'rename' | 'move'; id: string; name: string; parentId: string | null };

/** Create (optionally under a parent), rename, or move a folder under another. */
function FolderForm(props: {
  state: FolderFormState | null;
  folders: FolderDto[];
  onClose(): void;
  onDone(): Promise<void>;
}) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [parentId, setParentId] = useState<string>('');
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<FolderFormState | null>(null);
  const s = props.state;
  if (s !== shown) {
    setShown(s);
    if (s) {
      setName(s.name);
      setParentId(s.parentId ?? '');
    }
  }
  const excluded = s && s.mode !== 'create' ? subtreeIds(props.folders, s.id) : new Set<string>();
  const parents = folderTree(props.folders).filter((n) => !n.folder.role && !excluded.has(n.folder.id));
  const submit = async () => {
    if (!s) return;
    setBusy(true);
    try {
      const parent = parentId || null;
      if (s.mode === 'create') await folderAdmin.create({ name, parentId: parent });
      else if (s.mode === 'rename') await folderAdmin.update(s.id, { name });
      else await folderAdmin.update(s.id, { parentId: parent });
      Toast.show({ icon: 'success', content: t(s.mode === 'create' ? 'folderCreated' : 'folderUpdated') });
      await props.onDone();
    } catch (err) {
      Toast.show({ icon: 'fail', content: errorText(err, t) });
    } finally {
      setBusy(false);
    }
  };
  const title = !s
    ? ''
    : s.mode === 'create'
      ? t('newFolder')
      : s.mode === 'rename'
        ? t('renameFolder')
        : t('moveFolder');
  return (
    <Popup visible={s !== null} onMaskClick={props.onClose} bodyClassName="form-popup" destroyOnClose>
      <div className="folder-form" data-testid="folder-form">
        <div className="picker-title">{title}</div>
        <List>
          {s?.mode !== 'move' ? (
            <List.Item prefix={<span className="form-label">{t('folderName')}</span>}>
              <Input
                placeholder={t('folderNamePlaceholder')}
                value={name}
                onChange={setName}
                maxLength={100}
                autoFocus
                data-testid="folder-name"
                onEnterPress={() => void submit()}
              />
            </List.Item>
          ) : null}
          {s?.mode !== 'rename' ? (
            <List.Item prefix={<span className="form-label">{t('parentFolder')}</span>}>
              <select
                className="inline-select wide-select"
                value={parentId}
                onChange={(e) => setParentId(e.target.value)}
                data-testid="folder-parent"
              >
                <option value="">{t('topLevel')}</option>
                {parents.map((n) => (
                  <option key={n.folder.id} value={n.folder.id}>
                    {'\u3000'.repeat(n.depth)}
                    {n.folder.name}
                  </option>
                ))}
              </select>
            </List.Item>
          ) : null}
        </List>
        <div className="block-button">
          <Button
            block
            color="primary"
            loading={busy}
            onClick={() => void submit()}
            data-testid="folder-save"
          >
            {t('save')}
          </Button>
        </div>
      </div>
    </Popup>
  );
}

/** A bottom sheet listing where messages can go; used by the reader and by batch moves. */
export function MoveToFolder(props: {
  visible: boolean;
  folders: FolderDto[] | undefined;
  /** The folder the messages are in now (not offered). */
  currentId?: string;
  onClose(): void;
  onPick(folder: FolderDto): void;
}) {
  const { t } = useI18n();
  const nodes = moveTargets(props.folders ?? []).filter((n) => n.folder.id !== props.currentId);
  return (
    <Popup visible={props.visible} onMaskClick={props.onClose} bodyClassName="form-popup move-popup">
      <div data-testid="move-sheet">
        <div className="picker-title">{t('moveToTitle')}</div>
        {!props.folders ? (
          <Loading />
        ) : (
          <List className="move-list">
            {nodes.map(({ folder: f, depth }) => (
              <List.Item
                key={f.id}
                arrowIcon={false}
                style={depth > 0 ? { paddingLeft: 12 + depth * 16 } : undefined}
                data-testid={`move-to-${f.role ?? f.name}`}
                onClick={() => props.onPick(f)}
              >
                {folderTitle(f, t)}
              </List.Item>
            ))}
          </List>
        )}
      </div>
    </Popup>
  );
}
