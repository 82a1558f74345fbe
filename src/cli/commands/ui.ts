// `promptune ui`: the dashboard over a registry, without a model (the playground needs `serve`). The
// browser signs in with an API key; unless --no-session-key, a key for this session is created and
// put in the printed address's fragment (which browsers never send to a server), and revoked when the
// command stops. A run killed with SIGKILL leaves that key behind: `promptune keys ls` shows it.
import { defineCommand } from 'citty';
import pino from 'pino';
import { ValidationError } from '../../errors/index.js';
import { Registry } from '../../registry/index.js';
import { dashboardDirectory, listen } from '../../serve/index.js';
import { dashboardService } from '../dashboard-service.js';
import { numberOption } from '../options.js';
import { operatorName, registryLocation, registryOption } from '../registry-access.js';

export default defineCommand({
  meta: { name: 'ui', description: 'Open the dashboard over a registry (no model needed)' },
  args: {
    db: registryOption,
    port: { type: 'string', default: '8080', description: 'Port (0: any free port)' },
    host: { type: 'string', default: '127.0.0.1', description: 'Interface to listen on' },
    'session-key': {
      type: 'boolean',
      default: true,
      description:
        'Create a key for this session, signed in through the printed address (--no-session-key: sign in with your own)',
    },
    'key-scopes': {
      type: 'string',
      default: 'read,run,admin',
      description: "The session key's scopes (read: browse only)",
    },
  },
  async run({ args }) {
    const port = numberOption('port', args.port, { integer: true, min: 0, max: 65535 });
    const web = dashboardDirectory();
    if (!web)
      throw new ValidationError('the dashboard was not built', {
        code: 'UI_NOT_BUILT',
        hint: 'Run npm run build (npm ci builds it too).',
      });
    const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
    const registry = await Registry.open(registryLocation(args.db));
    const service = dashboardService(registry, { web, logger });
    let server;
    let session: { id: string; key: string } | undefined;
    try {
      if (args['session-key'])
        session = await registry.keys.create({
          name: `ui-session-${operatorName()}-${new Date().toISOString().slice(0, 19)}`,
          scopes: args['key-scopes'].split(',').map((scope) => scope.trim()),
        });
      server = await listen(service.app, { hostname: args.host, port });
    } catch (error) {
      if (session) await registry.keys.revoke(session.id);
      await registry.close();
      throw error;
    }
    process.stdout.write(
      session
        ? `dashboard on ${server.url}/#key=${session.key}\n(the key in the address is revoked when this stops)\n`
        : `dashboard on ${server.url}/ (sign in with a key from promptune keys create)\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    const closed = server.close();
    await service.drain();
    await closed;
    if (session) await registry.keys.revoke(session.id);
    await registry.close();
  },
});
