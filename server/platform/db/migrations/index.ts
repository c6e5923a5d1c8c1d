import { Foundation1763900000000 } from './1763900000000-foundation';
import { Directory1763900100000 } from './1763900100000-directory';
import { MailStore1763900200000 } from './1763900200000-mail-store';
import { Retention1763900800000 } from './1763900800000-retention';
import { Stats1763900900000 } from './1763900900000-stats';
import { MemberAdmin1763901000000 } from './1763901000000-member-admin';

/** Every migration, in order. A new migration is added here as well as in its file. */
export const migrations = [
  Foundation1763900000000,
  Directory1763900100000,
  MailStore1763900200000,
  Retention1763900800000,
  Stats1763900900000,
  MemberAdmin1763901000000,
];
