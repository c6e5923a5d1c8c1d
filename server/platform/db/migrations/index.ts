import { Foundation1763900000000 } from './1763900000000-foundation';
import { Directory1763900100000 } from './1763900100000-directory';
import { MailStore1763900200000 } from './1763900200000-mail-store';
import { MailApi1763900300000 } from './1763900300000-mail-api';
import { Inbound1763900400000 } from './1763900400000-inbound';
import { Outbound1763900500000 } from './1763900500000-outbound';
import { Compose1763900600000 } from './1763900600000-compose';
import { Rules1763900700000 } from './1763900700000-rules';
import { Retention1763900800000 } from './1763900800000-retention';
import { Stats1763900900000 } from './1763900900000-stats';
import { MemberAdmin1763901000000 } from './1763901000000-member-admin';
import { Domains1763901100000 } from './1763901100000-domains';
import { ConsoleOps1763901200000 } from './1763901200000-console-ops';
import { AuthThrottle1763901400000 } from './1763901400000-auth-throttle';
import { GroupAdmin1763901300000 } from './1763901300000-group-admin';
import { OutboundClaims1763901600000 } from './1763901600000-outbound-claims';
import { ExportFormats1763901900000 } from './1763901900000-export-formats';
import { TokenGeneration1763902300000 } from './1763902300000-token-generation';
import { BlobReferenceIndexes1763902400000 } from './1763902400000-blob-reference-indexes';

/** Every migration, in order. A new migration is added here as well as in its file. */
export const migrations = [
  Foundation1763900000000,
  Directory1763900100000,
  MailStore1763900200000,
  MailApi1763900300000,
  Inbound1763900400000,
  Outbound1763900500000,
  Compose1763900600000,
  Rules1763900700000,
  Retention1763900800000,
  Stats1763900900000,
  MemberAdmin1763901000000,
  Domains1763901100000,
  ConsoleOps1763901200000,
  GroupAdmin1763901300000,
  AuthThrottle1763901400000,
  OutboundClaims1763901600000,
  ExportFormats1763901900000,
  TokenGeneration1763902300000,
  BlobReferenceIndexes1763902400000,
];
