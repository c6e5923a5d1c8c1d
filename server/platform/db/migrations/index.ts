import { Foundation1763900000000 } from './1763900000000-foundation';

/** Every migration, in order. A new migration is added here as well as in its file. */
export const migrations = [Foundation1763900000000];
