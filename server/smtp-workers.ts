import cluster, { type Worker } from 'node:cluster';
import type { Logger } from './platform/logger';

/** True in a process started by `startSmtpWorkers` (it serves SMTP only). */
export const isSmtpWorker = cluster.isWorker;

/** A worker tells its parent it is serving (after its listeners are up). */
export function announceReady(): void {
  process.send?.({ orgmail: 'smtp-ready' });
}

export interface SmtpWorkers {
  stop(): Promise<void>;
}

/**
 * SMTP on every core: `count` processes of this same binary with only the smtp role (MX,
 * submission, outbound worker), sharing the listening ports through node:cluster (connections are
 * handed out round-robin) and this process's database. They are stateless replicas in the sense of
 * the architecture: anything they share lives in PostgreSQL. A worker that dies is started again.
 * Resolves once every worker is serving.
 */
export async function startSmtpWorkers(o: {
  count: number;
  databaseUrl: string;
  logger: Logger;
}): Promise<SmtpWorkers> {
  let stopping = false;
  const env = { ROLES: 'smtp', DATABASE_URL: o.databaseUrl, SMTP_PROCESSES: '1' };
  const fork = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork(env);
      const onMessage = (msg: unknown) => {
        if ((msg as { orgmail?: string })?.orgmail !== 'smtp-ready') return;
        worker.off('message', onMessage);
        worker.off('exit', onEarlyExit);
        worker.once('exit', (code, signal) => {
          if (stopping) return;
          o.logger.error({ pid: worker.process.pid, code, signal }, 'SMTP worker died; starting another');
          setTimeout(
            () => void fork().catch((err) => o.logger.error({ err }, 'SMTP worker restart failed')),
            1000,
          );
        });
        resolve(worker);
      };
      const onEarlyExit = (code: number | null) =>
        reject(new Error(`an SMTP worker exited during start-up (code ${code})`));
      worker.on('message', onMessage);
      worker.once('exit', onEarlyExit);
    });
  const workers = await Promise.all(Array.from({ length: o.count }, fork));
  o.logger.info({ workers: workers.map((w) => w.process.pid) }, 'SMTP worker processes started');
  return {
    stop: async () => {
      stopping = true;
      await Promise.all(
        Object.values(cluster.workers ?? {}).map(
          (w) =>
            new Promise<void>((resolve) => {
              if (!w || w.isDead()) return resolve();
              const timer = setTimeout(() => w.process.kill('SIGKILL'), 20_000);
              w.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              w.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
