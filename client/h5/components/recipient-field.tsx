import { List, Popup, SearchBar, Tag } from 'antd-mobile';
import { AddCircleOutline, CheckOutline, TeamOutline } from 'antd-mobile-icons';
import { useState } from 'react';
import { Recipient } from '../../../shared/mail/compose';
import { compose } from '../../common/endpoints';
import { useI18n } from '../../common/i18n';
import { useAsync, useDebounced } from '../../common/hooks';
import { Empty, Failure, Loading } from './states';

/** A To/Cc/Bcc line: chips of picked recipients and the org-aware picker. */
export function RecipientField(props: {
  label: string;
  value: Recipient[];
  onChange(next: Recipient[]): void;
  testId: string;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const add = (r: Recipient) => {
    if (!props.value.some((v) => v.address.toLowerCase() === r.address.toLowerCase()))
      props.onChange([...props.value, r]);
  };
  return (
    <div className="recipient-field" data-testid={props.testId}>
      <span className="field-label">{props.label}</span>
      <div className="chips" onClick={() => setOpen(true)}>
        {props.value.map((r) => (
          <Tag
            key={r.address}
            round
            color="primary"
            fill="outline"
            className="chip"
            onClick={(e) => {
              e.stopPropagation();
              props.onChange(props.value.filter((v) => v.address !== r.address));
            }}
          >
            {r.name || r.address} ×
          </Tag>
        ))}
      </div>
      <span className="chip-add" role="button" aria-label={t('addRecipient')} onClick={() => setOpen(true)}>
        <AddCircleOutline />
      </span>
      <Popup
        visible={open}
        onMaskClick={() => setOpen(false)}
        position="bottom"
        bodyClassName="picker-popup"
        destroyOnClose
      >
        <Picker
          picked={props.value}
          onPick={(r) => {
            add(r);
            setOpen(false);
          }}
        />
      </Popup>
    </div>
  );
}

function Picker(props: { picked: Recipient[]; onPick(r: Recipient): void }) {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim(), 200);
  const found = useAsync(
    () => (query ? compose.people(query) : Promise.resolve({ people: [], groups: [] })),
    [query],
  );
  const typedAddress = Recipient.safeParse({ address: q.trim() }).success ? q.trim() : null;
  const has = (address: string) =>
    props.picked.some((p) => p.address.toLowerCase() === address.toLowerCase());
  return (
    <div className="picker" data-testid="recipient-picker">
      <div className="picker-title">{t('pickerTitle')}</div>
      <SearchBar
        placeholder={t('pickerSearch')}
        value={q}
        onChange={setQ}
        autoFocus
        onSearch={() => typedAddress && props.onPick({ address: typedAddress })}
      />
      <div className="picker-results">
        {typedAddress ? (
          <List>
            <List.Item onClick={() => props.onPick({ address: typedAddress })} data-testid="use-address">
              {t('pickerUseAddress', { address: typedAddress })}
            </List.Item>
          </List>
        ) : null}
        {!query ? (
          <div className="picker-hint">{t('pickerHint')}</div>
        ) : found.error ? (
          <Failure error={found.error} onRetry={found.reload} />
        ) : found.loading && !found.data ? (
          <Loading />
        ) : found.data && found.data.people.length + found.data.groups.length === 0 ? (
          typedAddress ? null : (
            <Empty title={t('pickerNoResults')} />
          )
        ) : found.data ? (
          <>
            {found.data.people.length > 0 ? (
              <List header={t('pickerPeople')}>
                {found.data.people.map((p) => (
                  <List.Item
                    key={p.memberId}
                    data-testid="picker-person"
                    prefix={<span className="avatar-dot">{p.name.slice(-2)}</span>}
                    description={[p.address, p.departments.join('、')].filter(Boolean).join(' · ')}
                    extra={has(p.address) ? <CheckOutline className="picked" /> : null}
                    onClick={() => props.onPick({ name: p.name, address: p.address })}
                    arrowIcon={false}
                  >
                    {p.name}
                    {p.title ? <span className="muted small"> {p.title}</span> : null}
                  </List.Item>
                ))}
              </List>
            ) : null}
            {found.data.groups.length > 0 ? (
              <List header={t('pickerGroups')}>
                {found.data.groups.map((g) => (
                  <List.Item
                    key={g.groupId}
                    data-testid="picker-group"
                    prefix={<TeamOutline fontSize={22} className="group-icon" />}
                    description={g.address}
                    extra={has(g.address) ? <CheckOutline className="picked" /> : null}
                    onClick={() => props.onPick({ name: g.name, address: g.address })}
                    arrowIcon={false}
                  >
                    {g.name}
                  </List.Item>
                ))}
              </List>
            ) : null}
          </>
        ) : null}
      </div>
    </div>
  );
}
