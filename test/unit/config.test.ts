import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../server/config';

describe('config', () => {
  it('defaults to the embedded mode on loopback', () => {
    const config = loadConfig({});
    expect(config.database.mode).to.equal('embedded');
    expect(config.http.host).to.equal('127.0.0.1');
    expect(config.http.port).to.equal(3000);
    expect([...config.roles]).to.have.members(['http', 'smtp', 'scheduler']);
    expect(config.defaultTimeZone).to.equal('Asia/Shanghai');
  });

  it('uses DATABASE_URL when set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db.internal:5432/orgmail' });
    expect(config.database).to.deep.include({
      mode: 'external',
      url: 'postgres://u:p@db.internal:5432/orgmail',
    });
  });

  it('reports every bad value at once, in one message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', ROLES: 'http,mail', DEFAULT_TIME_ZONE: 'Mars/Olympus' });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0])).to.include.members([
      'PORT',
      'LOG_LEVEL',
      'ROLES.1',
      'DEFAULT_TIME_ZONE',
    ]);
    expect((error as ConfigError).message).to.not.include('\n');
    expect((error as ConfigError).message).to.include('"abc"');
  });

  it('never echoes a secret in an error', () => {
    try {
      loadConfig({ JWT_SECRET: 'short-secret-value', DATABASE_URL: 'mysql://root:hunter2@x/y' });
      expect.fail('should throw');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).to.include('JWT_SECRET').and.include('DATABASE_URL');
      expect(message).to.not.include('short-secret-value').and.not.include('hunter2');
    }
  });

  it('rejects out-of-range ports and accepts booleans in common spellings', () => {
    expect(() => loadConfig({ PORT: '70000' })).to.throw(ConfigError, /PORT/);
    expect(loadConfig({ LOG_PRETTY: 'yes' }).log.pretty).to.equal(true);
    expect(() => loadConfig({ LOG_PRETTY: 'maybe' })).to.throw(
      ConfigError,
      /LOG_PRETTY: expected true or false/,
    );
  });

  it('DingTalk credentials go together, and HTTP push needs its callback keys', () => {
    const app = {
      DINGTALK_CORP_ID: 'dingcorp',
      DINGTALK_APP_KEY: 'key',
      DINGTALK_APP_SECRET: 'secret',
      DINGTALK_AGENT_ID: '123',
    };
    expect(() => loadConfig({ DINGTALK_APP_KEY: 'key' })).to.throw(
      ConfigError,
      /DINGTALK_CORP_ID: required together with DINGTALK_APP_KEY/,
    );
    expect(() => loadConfig(app)).to.throw(ConfigError, /DINGTALK_CALLBACK_AES_KEY: HTTP event push needs/);
    expect(loadConfig({ ...app, DINGTALK_EVENT_MODE: 'stream' }).dingtalk).to.include({
      eventMode: 'stream',
      agentId: 123,
    });
    const http = loadConfig({
      ...app,
      DINGTALK_CALLBACK_TOKEN: 'tok123',
      DINGTALK_CALLBACK_AES_KEY: 'a'.repeat(43),
    });
    expect(http.dingtalk?.eventMode).to.equal('http');
    expect(() =>
      loadConfig({ ...app, DINGTALK_CALLBACK_TOKEN: 'tok', DINGTALK_CALLBACK_AES_KEY: 'short' }),
    ).to.throw(ConfigError, /EncodingAESKey/);
    expect(loadConfig({}).dingtalk).to.equal(undefined);
  });
});
