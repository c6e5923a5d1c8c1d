import 'reflect-metadata';
import { stopTestPostgres } from './postgres';

/** Mocha root hooks: the shared PostgreSQL is stopped once, after every suite. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await stopTestPostgres();
  },
};
