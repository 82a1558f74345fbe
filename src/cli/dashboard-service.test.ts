// `promptune ui` over a shared registry is a view: its service must not look at running experiments,
// which would step, promote or roll back production from a dashboard process whose logs and metrics no
// one watches (as it did in trial Y: a laptop's dashboard promoted a canary the replicas never counted).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from '../registry/index.js';
import { dashboardService } from './dashboard-service.js';

const folder = mkdtempSync(join(tmpdir(), 'promptune-dashboard-service-'));
let registry: Registry | undefined;

afterAll(async () => {
  await registry?.close();
});

describe('the dashboard service', () => {
  it('runs no experiment watcher and records no traces', async () => {
    registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
    const service = dashboardService(registry, { web: folder, logger: pino({ level: 'silent' }) });
    expect(service.experiments).toBeUndefined();
    expect(service.recorder).toBeUndefined();
    await service.drain();
  });
});
