// The registry conformance suite: every storage backend (SQLite, Postgres) must pass it unchanged.
// Covers content addressing, references, labels with protection and audit history, concurrent moves,
// rollback, lineage, datasets, export/import, and durability when a writer is killed mid-write.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { errorCode as code } from '../../test/error-code.js';
import { peftAdapterFiles, repositoryRoot } from '../../test/models.js';
import { taskSpec, type TaskSpec } from '../tasks/spec.js';
import { exportTask, importBundle } from './bundle.js';
import { Registry, type Actor } from './registry.js';
import type { DatasetVersion } from './dataset-versions.js';

const admin: Actor = { name: 'ana', scopes: ['read', 'run', 'admin'] };
const runner: Actor = { name: 'ci', scopes: ['read', 'run'] };
const spec = (name: string) => taskSpec.parse({ name, prompt: { template: 'Q: {{input}}\nA:' } });

/** Runs the suite against registries made by `open` (each call: a fresh, empty registry) at `location`. */
export function registryConformance(
  name: string,
  open: () => Promise<{ registry: Registry; location: string }>,
): void {
  describe(`registry conformance: ${name}`, () => {
    it('stores content-addressed versions with increasing numbers and lineage', async () => {
      const { registry } = await open();
      await registry.putTask(spec('qa'));
      const first = await registry.pushVersion({
        task: 'qa',
        kind: 'hard',
        content: { template: 'A {{input}}', demos: [] },
        message: 'first',
        actor: admin,
      });
      const again = await registry.pushVersion({
        task: 'qa',
        kind: 'hard',
        content: { demos: [], template: 'A {{input}}' },
        actor: admin,
      });
      const second = await registry.pushVersion({
        task: 'qa',
        kind: 'hard',
        content: { template: 'B {{input}}' },
        parent: first.version.id,
        run: { optimizer: 'evolve', metrics: { dev: 0.8 } },
        actor: admin,
      });
      expect(first.created).toBe(true);
      expect(again.created).toBe(false);
      expect(again.version.id).toBe(first.version.id);
      expect([first.version.number, second.version.number]).toEqual([1, 2]);
      expect(second.version.parent).toBe(first.version.id);
      expect(second.version.run).toEqual({ optimizer: 'evolve', metrics: { dev: 0.8 } });
      expect((await registry.listVersions('qa')).map((version) => version.number)).toEqual([1, 2]);
      expect(
        await code(registry.pushVersion({ task: 'missing', kind: 'hard', content: {}, actor: admin })),
      ).toBe('REGISTRY_NO_TASK');
      // a parent is an earlier version of the task by its full id: not a prefix, not another task's
      for (const parent of [first.version.id.slice(0, 12), 'f'.repeat(64)])
        expect(
          await code(
            registry.pushVersion({
              task: 'qa',
              kind: 'hard',
              content: { template: 'C' },
              parent,
              actor: admin,
            }),
          ),
        ).toBe('REGISTRY_NO_VERSION');
      expect((await registry.listVersions('qa')).map((version) => version.number)).toEqual([1, 2]);
      // numbers by id, for listings: the task's versions only, none for a task with none
      expect(await registry.versionNumbers(['qa', 'qa', 'missing'])).toEqual(
        new Map([
          [first.version.id, 1],
          [second.version.id, 2],
        ]),
      );
      expect(await registry.versionNumbers([])).toEqual(new Map());
      await registry.close();
    });

    it('resolves latest, numbers, labels and id prefixes', async () => {
      const { registry } = await open();
      await registry.putTask(spec('qa'));
      const one = (
        await registry.pushVersion({ task: 'qa', kind: 'hard', content: { template: '1' }, actor: admin })
      ).version;
      const two = (
        await registry.pushVersion({ task: 'qa', kind: 'hard', content: { template: '2' }, actor: admin })
      ).version;
      await registry.setLabel({ task: 'qa', label: 'staging', reference: '1', actor: runner });
      expect((await registry.resolveVersion('qa')).id).toBe(two.id);
      expect((await registry.resolveVersion('qa', '1')).id).toBe(one.id);
      expect((await registry.resolveVersion('qa', 'staging')).id).toBe(one.id);
      expect((await registry.resolveVersion('qa', two.id.slice(0, 8))).id).toBe(two.id);
      expect(await code(registry.resolveVersion('qa', '9'))).toBe('REGISTRY_NO_VERSION');
      expect(await code(registry.resolveVersion('qa', 'nolabel'))).toBe('REGISTRY_NO_VERSION');
      // a task it lacks has the code getTask gives it
      expect(await code(registry.resolveVersion('nope', '1'))).toBe('REGISTRY_NO_TASK');
      // what the task has instead, in the message: a missing label is not told as a missing version
      const message = (reference: string) =>
        registry.resolveVersion('qa', reference).then(
          () => 'resolved',
          (error: Error) => error.message,
        );
      expect(await message('9')).toBe('qa@9 does not exist: qa has versions 1 to 2');
      expect(await message('production')).toBe(
        'qa@production does not exist: qa has no label production; its labels: staging',
      );
      // the names alone, in order, as listTasks gives them with their versions and labels
      await registry.putTask(spec('a-first'));
      expect(await registry.taskNames()).toEqual(['a-first', 'qa']);
      // a task registered without a version yet
      expect(
        await registry.resolveVersion('a-first', '1').then(
          () => 'resolved',
          (error: Error) => error.message,
        ),
      ).toBe('a-first@1 does not exist: a-first has no versions yet');
      expect(
        await registry.resolveVersion('a-first', 'production').then(
          () => 'resolved',
          (error: Error) => error.message,
        ),
      ).toBe('a-first@production does not exist: a-first has no label production; it has no labels');
      expect((await registry.listTasks()).map((task) => task.name)).toEqual(['a-first', 'qa']);
      await registry.close();
    });

    it('lists tasks with their version counts and labels’ numbers, counting versions without reading them', async () => {
      const { registry } = await open();
      await registry.putTask(spec('qa'));
      await registry.putTask(spec('a-first'));
      for (const template of ['1', '2', '3'])
        await registry.pushVersion({ task: 'qa', kind: 'hard', content: { template }, actor: admin });
      await registry.setLabel({ task: 'qa', label: 'staging', reference: '2', actor: admin });
      await registry.setLabel({ task: 'qa', label: 'production', reference: '3', actor: admin });
      // a registry a year old holds thousands of versions a task: listing tasks reads none of them
      const read = vi.spyOn(registry, 'listVersions');
      expect(await registry.listTasks()).toEqual([
        { name: 'a-first', description: spec('a-first').description, versions: 0, labels: {} },
        {
          name: 'qa',
          description: spec('qa').description,
          versions: 3,
          labels: { production: 3, staging: 2 },
        },
      ]);
      expect(read).not.toHaveBeenCalled();
      await registry.close();
    });

    it('protects production, logs every move, and rolls back', async () => {
      const { registry } = await open();
      await registry.putTask(spec('qa'));
      for (const template of ['1', '2', '3'])
        await registry.pushVersion({ task: 'qa', kind: 'hard', content: { template }, actor: admin });
      expect(
        await code(registry.setLabel({ task: 'qa', label: 'production', reference: '1', actor: runner })),
      ).toBe('REGISTRY_PROTECTED_LABEL');
      await registry.setLabel({
        task: 'qa',
        label: 'production',
        reference: '1',
        actor: admin,
        reason: 'launch',
      });
      await registry.setLabel({ task: 'qa', label: 'production', reference: '3', actor: admin });
      expect(
        await code(registry.setLabel({ task: 'qa', label: 'production', reference: '2', actor: runner })),
      ).toBe('REGISTRY_PROTECTED_LABEL');
      expect(
        await code(
          registry.setLabel({ task: 'qa', label: 'staging', reference: '2', actor: runner, protect: true }),
        ),
      ).toBe('REGISTRY_PROTECTED_LABEL');
      expect(
        await code(registry.setLabel({ task: 'qa', label: 'Bad Label', reference: '2', actor: admin })),
      ).toBe('REGISTRY_BAD_LABEL');
      const back = await registry.rollback({
        task: 'qa',
        label: 'production',
        actor: admin,
        reason: ' answers got worse ',
      });
      expect((await registry.resolveVersion('qa', 'production')).number).toBe(1);
      const history = await registry.labelHistory('qa', 'production');
      expect(
        history.map((event) => [
          event.from === null ? null : event.from.slice(0, 6),
          event.to.slice(0, 6),
          event.actor,
        ]),
      ).toEqual([
        [null, history[0].to.slice(0, 6), 'ana'],
        [history[0].to.slice(0, 6), history[1].to.slice(0, 6), 'ana'],
        [history[1].to.slice(0, 6), history[0].to.slice(0, 6), 'ana'],
      ]);
      expect(history[0].reason).toBe('launch');
      expect(back.reason).toMatch(/^rollback of move \d+: answers got worse$/);
      expect((await registry.listLabels('qa')).find((label) => label.label === 'production')?.protected).toBe(
        true,
      );
      // a second rollback walks further back; it never serves again the version just rolled away from
      const production = async () => (await registry.resolveVersion('qa', 'production')).number;
      const rollback = () => registry.rollback({ task: 'qa', label: 'production', actor: admin });
      await registry.setLabel({ task: 'qa', label: 'production', reference: '2', actor: admin });
      await rollback();
      expect(await production()).toBe(1);
      expect(await code(rollback())).toBe('REGISTRY_NO_ROLLBACK');
      expect(await production()).toBe(1);
      // a label never set is missing, not one with nothing earlier
      expect(await code(registry.rollback({ task: 'qa', label: 'nosuch', actor: admin }))).toBe(
        'REGISTRY_NO_VERSION',
      );
      await registry.setLabel({ task: 'qa', label: 'production', reference: '3', actor: admin });
      await registry.setLabel({ task: 'qa', label: 'production', reference: '2', actor: admin });
      expect((await rollback()).to).toBe((await registry.resolveVersion('qa', '3')).id);
      await rollback();
      expect(await production()).toBe(1);
      // rollbacks recorded before they walked back (a reason, no details), one of them rolled back itself:
      // the effective last move is undone, once
      const canary = (reference: string, reason?: string) =>
        registry.setLabel({ task: 'qa', label: 'canary', reference, actor: admin, reason });
      await canary('1');
      const forward = await canary('2');
      const first = await canary('1', `rollback of move ${forward.id}`);
      await canary('2', `rollback of move ${first.id}`);
      await registry.rollback({ task: 'qa', label: 'canary', actor: admin });
      expect((await registry.resolveVersion('qa', 'canary')).number).toBe(1);
      expect(await code(registry.rollback({ task: 'qa', label: 'canary', actor: admin }))).toBe(
        'REGISTRY_NO_ROLLBACK',
      );
      const fresh = await open();
      await fresh.registry.putTask(spec('qa'));
      await fresh.registry.pushVersion({
        task: 'qa',
        kind: 'hard',
        content: { template: 'x' },
        actor: admin,
      });
      await fresh.registry.setLabel({ task: 'qa', label: 'staging', reference: '1', actor: admin });
      expect(await code(fresh.registry.rollback({ task: 'qa', label: 'staging', actor: admin }))).toBe(
        'REGISTRY_NO_ROLLBACK',
      );
      await fresh.registry.close();
      await registry.close();
    });

    it('moves a guarded label only to a version whose audits meet the policy, or by an admin override', async () => {
      const { registry } = await open();
      const guarded = taskSpec.parse({
        name: 'fair',
        prompt: { template: '{{input}}' },
        audit: {
          policy: { labels: ['production', 'canary'], bias: { maxFlipRate: 0.05, gapNotSignificant: true } },
        },
      });
      await registry.putTask(guarded);
      const push = (template: string) =>
        registry.pushVersion({
          task: 'fair',
          kind: 'hard',
          content: { template },
          spec: guarded,
          actor: admin,
        });
      const [fair, unfair] = [(await push('A {{input}}')).version, (await push('B {{input}}')).version];
      let clock = Date.now();
      const audit = async (version: string, flipRate: number, pValue: number) => {
        const at = clock++; // audits in order, a millisecond apart
        const run = await registry.runs.start({
          kind: 'audit',
          task: 'fair',
          actor: 'ci',
          config: { audit: 'bias' },
          at,
        });
        const summary = { audited: 200, flipRate, gap: { between: ['a', 'b'], difference: 0.2, pValue } };
        await registry.runs.finish(run.id, { status: 'completed', version, summary }, at);
        return run.id;
      };
      const move = (reference: string, extra: { overridePolicy?: string; actor?: Actor } = {}) =>
        registry.setLabel({
          task: 'fair',
          label: 'production',
          reference,
          actor: admin,
          reason: 'release',
          ...extra,
        });
      // no audit recorded yet: refused, naming what is missing
      await expect(move('1')).rejects.toMatchObject({
        code: 'REGISTRY_AUDIT_POLICY',
        message: expect.stringContaining('no bias audit of this version is recorded') as string,
      });
      // an override given empty is said to be empty, not taken as none
      await expect(move('1', { overridePolicy: '  ' })).rejects.toMatchObject({
        code: 'REGISTRY_OVERRIDE_EMPTY',
      });
      const passed = await audit(fair.id, 0.01, 0.4);
      await audit(unfair.id, 0.02, 0.4); // an older audit that passed; the latest decides
      const failing = await audit(unfair.id, 0.3, 0.001);
      // the gate's verdict read without a move: per guarded label, met on which audits, or what fails
      expect(await registry.auditPolicyVerdicts('fair', '1')).toEqual(
        ['canary', 'production'].map((label) => ({
          label,
          met: true,
          failures: [],
          counted: [passed],
          notCounted: [],
          heldByIncumbent: false,
          current: false,
        })),
      );
      const [, unfairVerdict] = await registry.auditPolicyVerdicts('fair', '2');
      expect(unfairVerdict).toMatchObject({ label: 'production', met: false, counted: [failing] });
      expect(unfairVerdict.failures.join('; ')).toContain(
        `bias audit ${failing}: flip rate 30.0% is above 5.0%`,
      );
      expect((await move('1')).to).toBe(fair.id);
      const refused = (await move('2').then(
        () => new Error('moved'),
        (error: unknown) => error,
      )) as Error;
      expect(refused).toMatchObject({
        code: 'REGISTRY_AUDIT_POLICY',
        hint: expect.stringContaining('override'),
      });
      expect(refused.message).toContain(`bias audit ${failing}: flip rate 30.0% is above 5.0%`);
      expect(refused.message).toContain('is significant');
      // labels the policy does not guard move freely; a guarded one needs an admin to override
      await registry.setLabel({ task: 'fair', label: 'staging', reference: '2', actor: runner });
      expect(
        await code(
          registry.setLabel({
            task: 'fair',
            label: 'canary',
            reference: '2',
            actor: runner,
            overridePolicy: 'x',
          }),
        ),
      ).toBe('REGISTRY_PROTECTED_LABEL');
      const overridden = await move('2', { overridePolicy: 'legal signed off on the gap (ticket 42)' });
      expect(overridden.to).toBe(unfair.id);
      const history = await registry.labelHistory('fair', 'production');
      expect(history.map((event) => event.to)).toEqual([fair.id, unfair.id]);
      expect(history[1].reason).toMatch(
        /^release; audit policy overridden by ana: legal signed off on the gap \(ticket 42\) \(failed: bias audit .*flip rate 30\.0% is above 5\.0%/,
      );
      // what is not a move to another version is not gated: the same version again, a protection change
      expect((await move('2')).moved).toBe(false);
      await registry.setLabel({
        task: 'fair',
        label: 'production',
        reference: '2',
        actor: admin,
        protect: false,
      });
      // a bundle restores its labels as they were, without the audits it does not carry
      const bundle = await exportTask(registry, 'fair');
      const copy = await open();
      await importBundle(copy.registry, bundle, admin);
      expect((await copy.registry.resolveVersion('fair', 'production')).id).toBe(unfair.id);
      await copy.registry.close();
      // a version whose own spec has no policy is gated by the task's latest spec when that has one
      const lenient = taskSpec.parse({ name: 'fair', prompt: { template: '{{input}}' } });
      await registry.pushVersion({
        task: 'fair',
        kind: 'hard',
        content: { template: 'C' },
        spec: lenient,
        actor: admin,
      });
      await registry.setLabel({ task: 'fair', label: 'canary', reference: '3', actor: admin });
      await registry.putTask(guarded);
      expect(await code(move('3'))).toBe('REGISTRY_AUDIT_POLICY');
      await registry.close();
    });

    it('counts the latest audit of each configuration on the version’s own data; a spec pushed without the policy does not lift it', async () => {
      const { registry } = await open();
      const guarded = taskSpec.parse({
        name: 'fair',
        prompt: { template: '{{input}}' },
        audit: { policy: { bias: { maxFlipRate: 0.05 } } },
      });
      await registry.putTask(guarded);
      const push = async (template: string, spec: TaskSpec) =>
        (
          await registry.pushVersion({
            task: 'fair',
            kind: 'hard',
            content: { template },
            spec,
            run: { datasets: { test: 'own-test' } },
            actor: admin,
          })
        ).version;
      const [first, second] = [await push('A {{input}}', guarded), await push('B {{input}}', guarded)];
      let clock = Date.now();
      const audit = async (
        version: string,
        flipRate: number,
        config: Record<string, unknown> = {},
        datasets = ['own-test'],
        audited = 200,
      ) => {
        const at = clock++;
        const run = await registry.runs.start({
          kind: 'audit',
          task: 'fair',
          actor: 'ci',
          config: {
            audit: 'bias',
            model: 'local:./m.gguf',
            sets: ['gender', 'names'],
            examples: audited,
            taskFile: `spec-${at}.yaml`,
            specId: first.specId, // as audit --version records them
            seed: 0,
            ...config,
          },
          datasets,
          at,
        });
        const summary = {
          audited,
          flipRate,
          gap: { between: ['a', 'b'], difference: 0.1, pValue: 0.5 },
        };
        await registry.runs.finish(run.id, { status: 'completed', version, summary }, at);
        return run.id;
      };
      const move = (reference: string) =>
        registry.setLabel({ task: 'fair', label: 'production', reference, actor: admin });
      const passed = await audit(first.id, 0.01);
      const moved = await move('1');
      // the history names the audits the move passed on
      expect((await registry.labelHistory('fair', 'production'))[0].reason).toBe(
        `audit policy met by ${passed}`,
      );
      expect(moved.to).toBe(first.id);
      // a failing audit is not hidden by a later, milder one (another set of groups), nor by one on other data
      const failing = await audit(second.id, 0.4);
      await audit(second.id, 0.01, { sets: ['mild'] });
      const elsewhere = await audit(second.id, 0.0, {}, ['other-test']);
      // nor by one measured with another spec (a lenient metric, say)
      const otherSpec = await audit(second.id, 0.0, { specId: 'f'.repeat(64) });
      const refused = (await move('2').catch((error: unknown) => error)) as Error & {
        code: string;
        hint: string;
      };
      expect(refused.code).toBe('REGISTRY_AUDIT_POLICY');
      expect(refused.message).toContain(`bias audit ${failing}: flip rate 40.0% is above 5.0%`);
      expect(refused.message).toContain(
        `not counted, run on data the version was not made from: ${elsewhere}`,
      );
      expect(refused.message).toContain(
        `not counted, run with another spec than the version's: ${otherSpec}`,
      );
      expect(refused.hint).toContain('--version fair@2 --push');
      expect((await registry.auditPolicyVerdicts('fair', '2'))[0].notCounted).toEqual([
        `run on data the version was not made from: ${elsewhere}`,
        `run with another spec than the version's: ${otherSpec}`,
      ]);
      // the same audit run again (from another spec file path, the model named by another path, its sets
      // listed in another order) supersedes it
      await audit(second.id, 0.02, { model: 'local:/home/ana/m.gguf', sets: ['names', 'gender'] });
      // a smaller audit that fails is not outweighed by the larger one that passes
      const small = await audit(second.id, 0.3, { split: 'dev' }, ['own-test'], 20);
      const smallRefused = (await move('2').catch((error: unknown) => error)) as Error;
      expect(smallRefused.message).toContain(
        `bias audit ${small}: flip rate 30.0% is above 5.0% (on 20 examples)`,
      );
      await audit(second.id, 0.0, { split: 'dev' }, ['own-test'], 20);
      // an audit recorded before audits held their spec and seed is superseded by a later one of its options
      const third = await push('D {{input}}', guarded);
      await audit(third.id, 0.5, { specId: undefined, seed: undefined });
      expect(await code(move('3'))).toBe('REGISTRY_AUDIT_POLICY');
      await audit(third.id, 0.0);
      await push('E {{input}}', guarded); // (the version after it, so 'latest' is not the one moved to)
      expect((await move('2')).to).toBe(second.id);
      expect((await move(third.id)).to).toBe(third.id);
      // a spec pushed without the policy: the label serves a version pushed under it, which still guards it
      const lenient = taskSpec.parse({ name: 'fair', prompt: { template: '{{input}}' } });
      const unaudited = await push('C {{input}}', lenient);
      const held = (await move(unaudited.id).catch((error: unknown) => error)) as Error & { code: string };
      expect(held.code).toBe('REGISTRY_AUDIT_POLICY');
      expect(held.message).toContain(
        `(the policy of the spec fair@${third.number} serves with, which production points at: pushing a spec without it does not lift it)`,
      );
      // the verdict names the label only the incumbent's policy guards
      expect(await registry.auditPolicyVerdicts('fair', unaudited.id)).toMatchObject([
        { label: 'production', met: false, heldByIncumbent: true },
      ]);
      await registry.close();
    });

    it('retires an audit by an admin with a reason: the policy no longer counts it, and says so', async () => {
      const { registry } = await open();
      const guarded = taskSpec.parse({
        name: 'fair',
        prompt: { template: '{{input}}' },
        audit: { policy: { bias: { maxFlipRate: 0.05 } } },
      });
      await registry.putTask(guarded);
      const { version } = await registry.pushVersion({
        task: 'fair',
        kind: 'hard',
        content: { template: 'A {{input}}' },
        spec: guarded,
        actor: admin,
      });
      let clock = Date.now();
      const audit = async (flipRate: number, sets: string[]) => {
        const at = clock++;
        const run = await registry.runs.start({
          kind: 'audit',
          task: 'fair',
          actor: 'ci',
          config: { audit: 'bias', sets, specId: version.specId, seed: 0 },
          at,
        });
        const summary = { audited: 200, flipRate, gap: { between: ['a', 'b'], difference: 0, pValue: 1 } };
        await registry.runs.finish(run.id, { status: 'completed', version: version.id, summary }, at);
        return run.id;
      };
      const passing = await audit(0.01, ['gender']);
      const exploratory = await audit(0.4, ['made-up-names']);
      expect((await registry.auditPolicyVerdicts('fair', '1'))[0].met).toBe(false);
      expect(await code(registry.retireRun(exploratory, { actor: runner, reason: 'exploratory' }))).toBe(
        'AUTH_SCOPE',
      );
      expect(await code(registry.retireRun(exploratory, { actor: admin, reason: '  ' }))).toBe('RUN_INVALID');
      expect(await code(registry.retireRun('run-none', { actor: admin, reason: 'x' }))).toBe('RUN_NOT_FOUND');
      const running = await registry.runs.start({ kind: 'audit', task: 'fair', actor: 'ci' });
      expect(await code(registry.retireRun(running.id, { actor: admin, reason: 'x' }))).toBe('RUN_RUNNING');
      // one whose heartbeat stopped long ago (its process was killed) reads as interrupted: retirable
      const lost = await registry.runs.start({
        kind: 'audit',
        task: 'fair',
        actor: 'ci',
        at: Date.now() - 600_000,
      });
      expect((await registry.retireRun(lost.id, { actor: admin, reason: 'killed' })).retired?.reason).toBe(
        'killed',
      );
      const retired = await registry.retireRun(exploratory, {
        actor: admin,
        reason: 'an exploratory name set, not our policy',
      });
      expect(retired.retired).toMatchObject({
        actor: 'ana',
        reason: 'an exploratory name set, not our policy',
      });
      expect((await registry.runs.get(exploratory)).retired?.actor).toBe('ana');
      expect(await code(registry.retireRun(exploratory, { actor: admin, reason: 'again' }))).toBe(
        'RUN_RETIRED',
      );
      expect(await registry.auditPolicyVerdicts('fair', '1')).toMatchObject([
        {
          met: true,
          counted: [passing],
          notCounted: [`retired: ${exploratory} (by ana: an exploratory name set, not our policy)`],
        },
      ]);
      const moved = await registry.setLabel({
        task: 'fair',
        label: 'production',
        reference: '1',
        actor: admin,
      });
      expect(moved.reason).toContain(`audit policy met by ${passing} (not counted, retired: ${exploratory}`);
      await registry.close();
    });

    it('concurrent label moves and pushes leave a consistent history', async () => {
      const { registry } = await open();
      await registry.putTask(spec('qa'));
      const versions = await Promise.all(
        ['a', 'b', 'c', 'd', 'e', 'f'].map((template) =>
          registry.pushVersion({ task: 'qa', kind: 'hard', content: { template }, actor: admin }),
        ),
      );
      expect(new Set(versions.map(({ version }) => version.number))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
      const moves = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          registry.setLabel({ task: 'qa', label: 'staging', reference: String((i % 6) + 1), actor: runner }),
        ),
      );
      // a move to where the label already is writes nothing, so the history holds exactly the real moves
      const history = await registry.labelHistory('qa', 'staging');
      expect(history).toHaveLength(moves.filter((move) => move.moved).length);
      expect(history.length).toBeGreaterThan(1);
      expect(history[0].from).toBeNull();
      for (let i = 1; i < history.length; i++) expect(history[i].from).toBe(history[i - 1].to);
      expect((await registry.resolveVersion('qa', 'staging')).id).toBe(history.at(-1)!.to);
      await registry.close();
    });

    it('versions datasets and round-trips a task through export and import', async () => {
      const { registry } = await open();
      await registry.putTask(spec('qa'));
      const bytes = new TextEncoder().encode('{"input": "2+2", "target": "4"}\n');
      const dataset = await registry.putDataset({
        task: 'qa',
        split: 'dev',
        name: 'dev.jsonl',
        bytes,
        rows: 1,
      });
      expect(await registry.putDataset({ task: 'qa', split: 'dev', name: 'dev.jsonl', bytes, rows: 1 })).toBe(
        dataset,
      );
      const adapter = peftAdapterFiles();
      const adapterBlob = await registry.putBlob(adapter.safetensors);
      const hard = (
        await registry.pushVersion({
          task: 'qa',
          kind: 'hard',
          content: { template: 'Q {{input}}' },
          run: { dataset },
          actor: admin,
        })
      ).version;
      const soft = (
        await registry.pushVersion({
          task: 'qa',
          kind: 'soft',
          content: { adapterBlob, adapterConfig: adapter.config },
          parent: hard.id,
          actor: admin,
        })
      ).version;
      await registry.setLabel({
        task: 'qa',
        label: 'production',
        reference: String(soft.number),
        actor: admin,
      });
      const bundle = JSON.parse(JSON.stringify(await exportTask(registry, 'qa')));
      const target = await open();
      expect(await importBundle(target.registry, bundle, admin)).toEqual({
        task: 'qa',
        created: 2,
        existing: 0,
      });
      expect((await target.registry.listVersions('qa')).map((version) => version.id)).toEqual([
        hard.id,
        soft.id,
      ]);
      expect((await target.registry.resolveVersion('qa', 'production')).id).toBe(soft.id);
      expect(Buffer.from(await target.registry.getBlob(adapterBlob)).equals(adapter.safetensors)).toBe(true);
      expect((await target.registry.listDatasets('qa')).map((row) => row.id)).toEqual([dataset]);
      expect(await importBundle(target.registry, bundle, admin)).toEqual({
        task: 'qa',
        created: 0,
        existing: 2,
      });
      bundle.versions[0].content.template = 'tampered';
      expect(await code(importBundle(target.registry, bundle, admin))).toBe('REGISTRY_BAD_BUNDLE');
      // a bundle whose label names a version neither it nor the registry holds writes nothing at all
      const broken = JSON.parse(JSON.stringify(await exportTask(registry, 'qa')));
      broken.labels.push({ label: 'staging', version: 'f00d'.repeat(16), protected: false });
      const copy = await open();
      expect(await code(importBundle(copy.registry, broken, admin))).toBe('REGISTRY_BAD_BUNDLE');
      expect(await copy.registry.listTasks()).toEqual([]);
      expect(await copy.registry.listVersions('qa')).toEqual([]);
      expect(await code(copy.registry.getBlob(adapterBlob))).toBe('REGISTRY_NO_BLOB');
      await copy.registry.close();
      await target.registry.close();
      await registry.close();
    });

    it('carries dataset versions through export and import, and reads a bundle of format 2 without them', async () => {
      const { registry } = await open();
      await registry.putTask(spec('dv'));
      const put = (split: string, text: string) =>
        registry.putDataset({
          task: 'dv',
          split,
          name: `${split}.jsonl`,
          bytes: new TextEncoder().encode(text),
          rows: text.split('\n').filter(Boolean).length,
        });
      const train = await put('train', '{"input": "a", "target": "1"}\n');
      const dev = await put('dev', '{"input": "b", "target": "2"}\n');
      const grown = await put('train', '{"input": "a", "target": "1"}\n{"input": "c", "target": "3"}\n');
      await registry.datasetVersions.add({
        task: 'dv',
        splits: { train, dev },
        source: 'files',
        message: 'train.jsonl, dev.jsonl',
        actor: 'alice',
      });
      await registry.datasetVersions.add({
        task: 'dv',
        splits: { train: grown, dev },
        source: 'review:dv-queue',
        message: '1 corrected row',
        details: { added: { train: 1 } },
        actor: 'bob',
      });
      const bundle = JSON.parse(JSON.stringify(await exportTask(registry, 'dv')));
      expect(bundle.version).toBe(3);
      const target = await open();
      await importBundle(target.registry, bundle, admin);
      const kept = (versions: DatasetVersion[]) =>
        versions.map(({ createdAt: _createdAt, ...version }) => version);
      const source = await registry.datasetVersions.list('dv');
      expect(kept(await target.registry.datasetVersions.list('dv'))).toEqual(kept(source));
      expect(source.map((version) => [version.number, version.parent, version.actor])).toEqual([
        [1, null, 'alice'],
        [2, 1, 'bob'],
      ]);
      // importing again adds no version
      await importBundle(target.registry, bundle, admin);
      expect(await target.registry.datasetVersions.list('dv')).toHaveLength(2);
      // a version naming a dataset the bundle does not hold is refused, and nothing is written
      const broken = JSON.parse(JSON.stringify(bundle));
      broken.datasetVersions[1].splits.train = 'f00d'.repeat(16);
      const copy = await open();
      expect(await code(importBundle(copy.registry, broken, admin))).toBe('REGISTRY_BAD_BUNDLE');
      expect(await copy.registry.listTasks()).toEqual([]);
      // a split naming another split's dataset (dev's file as train) is refused too
      const swapped = JSON.parse(JSON.stringify(bundle));
      swapped.datasetVersions[0].splits.train = dev;
      expect(await code(importBundle(copy.registry, swapped, admin))).toBe('REGISTRY_BAD_BUNDLE');
      // into a task with dataset versions of its own: they follow them, the bundle's root still a root
      const own = await open();
      await own.registry.putTask(spec('dv'));
      const mine = await own.registry.putDataset({
        task: 'dv',
        split: 'train',
        name: 'mine.jsonl',
        bytes: new TextEncoder().encode('{"input": "m", "target": "0"}\n'),
        rows: 1,
      });
      await own.registry.datasetVersions.add({
        task: 'dv',
        splits: { train: mine },
        source: 'files',
        message: 'mine',
        actor: 'carol',
      });
      await importBundle(own.registry, bundle, admin);
      expect(
        (await own.registry.datasetVersions.list('dv')).map((version) => [
          version.number,
          version.parent,
          version.actor,
        ]),
      ).toEqual([
        [1, null, 'carol'],
        [2, null, 'alice'],
        [3, 2, 'bob'],
      ]);
      await own.registry.close();
      // a bundle of format 2 (an older promptune's) has none, and imports as before
      const { datasetVersions: _none, ...older } = { ...bundle, version: 2 };
      await importBundle(copy.registry, older, admin);
      expect(await copy.registry.listDatasets('dv')).toHaveLength(3);
      expect(await copy.registry.datasetVersions.list('dv')).toEqual([]);
      await copy.registry.close();
      await target.registry.close();
      await registry.close();
    });

    it('a writer killed mid-write loses nothing it reported committed', async () => {
      const { registry, location } = await open();
      const child = spawn(
        process.execPath,
        [join(repositoryRoot, 'test', 'registry-writer.mjs'), location, 'durable'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const committed: string[] = [];
      let buffer = '';
      const closed = new Promise((resolve) => child.on('close', resolve));
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        committed.push(...lines);
        if (committed.length >= 25) child.kill('SIGKILL');
      });
      await closed;
      expect(committed.length).toBeGreaterThanOrEqual(25);
      const stored = new Set((await registry.listVersions('durable')).map((version) => version.id));
      for (const id of committed) expect(stored.has(id)).toBe(true);
      const history = await registry.labelHistory('durable', 'staging');
      for (let i = 1; i < history.length; i++) expect(history[i].from).toBe(history[i - 1].to);
      await registry.close();
    });

    it('keeps API keys only as hashes, verifies them and honours revocation', async () => {
      const { registry } = await open();
      const created = await registry.keys.create({ name: 'svc', scopes: ['run', 'read'], ratePerMinute: 60 });
      expect(created.key).toMatch(/^pt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      expect(await registry.keys.verify(created.key)).toEqual({
        id: created.id,
        name: 'svc',
        scopes: ['run', 'read'],
        ratePerMinute: 60,
      });
      const listed = JSON.stringify(await registry.keys.list());
      expect(listed).not.toContain(created.key.slice(-20));
      const tampered = created.key.slice(0, -1) + (created.key.endsWith('A') ? 'B' : 'A');
      expect(await code(registry.keys.verify(tampered))).toBe('AUTH_INVALID_KEY');
      expect(await code(registry.keys.verify('sk-not-ours'))).toBe('AUTH_INVALID_KEY');
      expect(await code(registry.keys.create({ name: 'x', scopes: ['root'] }))).toBe('KEY_SCOPES');
      await registry.keys.revoke(created.id);
      // its holder is told it was revoked; a guess at it is told nothing more than before
      expect(await code(registry.keys.verify(created.key))).toBe('AUTH_KEY_REVOKED');
      expect(await code(registry.keys.verify(tampered))).toBe('AUTH_INVALID_KEY');
      await registry.close();
    });
  });
}
