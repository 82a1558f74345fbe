// `promptune keys`: API keys for the service. `create` prints the new key once (only its hash is
// stored); `ls` lists keys without secrets; `revoke` disables one.
import { defineCommand } from 'citty';
import { numberOption } from '../options.js';
import { withRegistry, registryOption } from '../registry-access.js';
import { textColumns } from '../text-columns.js';

const common = {
  db: registryOption,
} as const;

const create = defineCommand({
  meta: { name: 'create', description: 'Create a key and print it once' },
  args: {
    ...common,
    scopes: { type: 'string', required: true, description: 'Comma-separated: read, run, review, admin' },
    name: {
      type: 'string',
      default: 'key',
      description: 'Who the key acts as: its reviewer name, the actor of label moves, in logs and listings',
    },
    rate: {
      type: 'string',
      description:
        'Requests per minute (default: the service’s), counted by each service replica alone unless serve --redis shares the count',
    },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      // a key's name is who it acts as (a reviewer's decisions, label moves, traces): two active keys of
      // one name are one person (a rotation) or a mistake, which replaces the other's review decisions
      const namesake = (await registry.keys.list()).find((key) => key.name === args.name && !key.revoked);
      if (namesake)
        process.stderr.write(
          `warning: key ${namesake.id} is also named ${args.name} and active: both act as ${args.name} (review decisions, label moves). Rotating? Revoke ${namesake.id} once the new key is in place (promptune keys revoke ${namesake.id}); else give another --name.\n`,
        );
      const created = await registry.keys.create({
        name: args.name,
        scopes: args.scopes.split(',').map((scope) => scope.trim()),
        ratePerMinute: numberOption('rate', args.rate, { min: 1 }),
      });
      process.stderr.write(
        `key ${created.id} (${created.scopes.join(',')}); store it now, it is not shown again:\n`,
      );
      process.stdout.write(`${created.key}\n`);
    }),
});

const list = defineCommand({
  meta: { name: 'ls', description: 'List keys (never their secrets)' },
  args: { ...common },
  run: ({ args }) =>
    withRegistry(
      args,
      async (registry) => {
        const keys = await registry.keys.list();
        if (keys.length === 0) {
          process.stdout.write(
            'no keys (create one: promptune keys create --name <name> --scopes read,run)\n',
          );
          return;
        }
        process.stdout.write(
          textColumns([
            ['id', 'name', 'scopes', 'state', 'created'],
            ...keys.map((key) => [
              key.id,
              key.name,
              key.scopes.join(','),
              key.revoked ? 'revoked' : 'active',
              key.createdAt,
            ]),
          ]),
        );
      },
      { reads: true },
    ),
});

const revoke = defineCommand({
  meta: { name: 'revoke', description: 'Revoke a key by id' },
  args: { ...common, id: { type: 'positional', required: true, description: 'The key id (from keys ls)' } },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      await registry.keys.revoke(args.id);
      process.stdout.write(`revoked ${args.id}\n`);
    }),
});

export default defineCommand({
  meta: { name: 'keys', description: 'API keys for promptune serve' },
  subCommands: { create, ls: list, revoke },
});
