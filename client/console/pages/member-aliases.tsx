import { Button, Input, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { members } from '../endpoints';
import { useAction, useAsync } from '../hooks';
import { useT } from '../i18n';

/** A member's mailbox aliases: each removable, and a field to add one (in the primary's domain). */
export function MemberAliases({ memberId }: { memberId: string }) {
  const t = useT();
  const addresses = useAsync(() => members.addresses(memberId), [memberId]);
  const { busy, run } = useAction();
  const [localPart, setLocalPart] = useState('');
  const a = addresses.data;
  const add = () =>
    void run('add', async () => {
      addresses.setData(await members.addAlias(memberId, localPart.trim()));
      setLocalPart('');
    });
  return (
    <div data-testid="member-aliases">
      <Typography.Title level={5} style={{ marginTop: 24 }}>
        {t('aliases')}
      </Typography.Title>
      <div style={{ marginBottom: 8 }}>
        {a?.aliases.length === 0 && <Typography.Text type="secondary">{t('noAliases')}</Typography.Text>}
        {a?.aliases.map((alias) => (
          <Tag
            key={alias.id}
            closable
            data-testid="alias"
            style={{ marginBottom: 4 }}
            onClose={(e) => {
              e.preventDefault();
              void run(`rm-${alias.id}`, async () => {
                await members.removeAlias(memberId, alias.id);
                addresses.setData((prev) => ({
                  ...prev!,
                  aliases: prev!.aliases.filter((x) => x.id !== alias.id),
                }));
              });
            }}
          >
            {alias.address}
          </Tag>
        ))}
      </div>
      <Space.Compact>
        <Input
          value={localPart}
          onChange={(e) => setLocalPart(e.target.value)}
          onPressEnter={add}
          placeholder={t('aliasPlaceholder')}
          // Always a suffix (a placeholder until the addresses load): the field keeps its DOM, and
          // what someone types meanwhile stays where it is.
          suffix={<Typography.Text type="secondary">@{a ? a.primary.split('@')[1] : '…'}</Typography.Text>}
          style={{ width: 320 }}
          data-testid="alias-input"
        />
        <Button onClick={add} loading={busy === 'add'} disabled={!localPart.trim()}>
          {t('addAlias')}
        </Button>
      </Space.Compact>
    </div>
  );
}
