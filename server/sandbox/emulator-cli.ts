import { parseArgs } from 'node:util';
import { startDingTalkEmulator } from './dingtalk-emulator';
import { generateOrg } from './org-generator';

/**
 * Runs the DingTalk emulator with a generated org until interrupted:
 *   node dist/server/sandbox/emulator-cli.js --employees 200 --depth 4 --seed 1 --port 0
 * Prints the base URL on the first line of stdout (scripts read it), then the credentials.
 */

const USAGE = `usage: emulator-cli [--employees N] [--depth N] [--seed N] [--port N] [--rate-limit]
                    [--app-key K] [--app-secret S] [--corp-id C] [--agent-id N]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      employees: { type: 'string', default: '200' },
      depth: { type: 'string', default: '4' },
      seed: { type: 'string', default: '1' },
      port: { type: 'string', default: '0' },
      'rate-limit': { type: 'boolean', default: false },
      'app-key': { type: 'string', default: 'dingsandboxappkey' },
      'app-secret': { type: 'string', default: 'sandbox-app-secret' },
      'corp-id': { type: 'string', default: 'dingsandbox0corp0id' },
      'agent-id': { type: 'string', default: '100000001' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const numbers = ['employees', 'depth', 'seed', 'port', 'agent-id'] as const;
  for (const name of numbers) {
    if (!/^\d+$/.test(values[name])) throw new Error(`--${name} must be a non-negative integer\n${USAGE}`);
  }

  const org = generateOrg({
    employees: Number(values.employees),
    depth: Number(values.depth),
    seed: Number(values.seed),
  });
  const emulator = await startDingTalkEmulator({
    org,
    appKey: values['app-key'],
    appSecret: values['app-secret'],
    corpId: values['corp-id'],
    agentId: Number(values['agent-id']),
    port: Number(values.port),
    rateLimit: values['rate-limit'],
  });
  process.stdout.write(`${emulator.baseUrl}\n`);
  process.stdout.write(
    `${org.corpName}: ${org.users.length} employees, ${org.departments.length} departments; ` +
      `appKey=${emulator.appKey} corpId=${emulator.corpId} agentId=${emulator.agentId}\n`,
  );
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
