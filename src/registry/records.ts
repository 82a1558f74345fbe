// The registry's records as callers see them (versions, label events, actors), the rules for names,
// and how a version's id is computed from what it holds. No database access here: registry.ts reads
// and writes the rows these describe.
import { ValidationError } from '../errors/index.js';
import { contentHash } from './canonical.js';
import type { RegistryDatabase } from './schema.js';

/** A stored prompt version. */
export interface PromptVersion {
  id: string;
  task: string;
  number: number;
  kind: 'hard' | 'soft';
  content: Record<string, unknown>;
  parent: string | null;
  run: Record<string, unknown> | null;
  message: string;
  actor: string;
  createdAt: string;
  /** The id of the task spec this version serves with (the one it was pushed with). */
  specId: string;
}

/** One move of a label. */
export interface LabelEvent {
  id: number;
  label: string;
  from: string | null;
  to: string;
  actor: string;
  reason: string;
  at: string;
  /** What justified it, when an experiment took the step (its statistics); from equals to for a step that moved nothing. */
  details?: Record<string, unknown>;
}

/**
 * What setting a label did: `moved: true` with the event it wrote, or `moved: false` when the label
 * already pointed there with that protection (nothing written) with the event that put it there.
 */
export type LabelMove = LabelEvent & { moved: boolean };

/** Who is acting, and with which scopes (read, run, review, admin). */
export interface Actor {
  name: string;
  scopes: string[];
}

/** The time of a write, as the registry stores times (ISO-8601 text). */
export const now = (): string => new Date().toISOString();

/** Labels that are protected when first set (moving them needs admin). */
export const protectedByDefault = new Set(['production']);

/** Whether moving `label` needs admin: as its row says, or, never set, by default (production). */
export function labelIsProtected(label: string, existing?: { protected: boolean | number }): boolean {
  return existing ? Boolean(existing.protected) : protectedByDefault.has(label);
}

/** Task and label names: lowercase letters, digits, ".", "_" and "-", starting with a letter or digit. */
export const namePattern = /^[a-z0-9][a-z0-9._-]*$/;

/** What a reference to a version by id looks like: 6 to 64 hex digits (a prefix of its sha256). */
export const versionIdPattern = /^[0-9a-f]{6,64}$/;

/** The label a version reference names, or undefined for `latest`, a number or an id. */
export const referencedLabel = (reference: string): string | undefined =>
  reference === 'latest' || /^\d+$/.test(reference) || versionIdPattern.test(reference)
    ? undefined
    : reference;

/**
 * Throws REGISTRY_BAD_LABEL unless `label` can name a label: a word, not a number, not "latest", and
 * not 6+ hex digits (a label that looked like a version id could stand in for that version).
 */
export function checkLabelName(label: string, where = ''): void {
  if (namePattern.test(label) && !/^\d+$/.test(label) && !versionIdPattern.test(label) && label !== 'latest')
    return;
  throw new ValidationError(`${where}"${label}" cannot be a label`, {
    code: 'REGISTRY_BAD_LABEL',
    hint: 'Labels are written in lowercase ASCII letters a-z, digits, ".", "_" and "-", starting with a letter or digit (not a number, not "latest", not hex digits like a version id), e.g. production, staging.',
  });
}

/** A version's id: the hash of its task, kind, content and the id of the spec it serves with. */
export function versionId(task: string, kind: string, content: unknown, specId: string): string {
  return contentHash({ task, kind, content, spec: specId });
}

/**
 * The id versions had before they carried a spec (registries before migration 003, bundles of format
 * version 1): the hash of task, kind and content only. Such versions keep it.
 */
export function legacyVersionId(task: string, kind: string, content: unknown): string {
  return contentHash({ task, kind, content });
}

/** A version row as a PromptVersion. */
export function toVersion(row: RegistryDatabase['versions']): PromptVersion {
  return {
    id: row.id,
    task: row.task,
    number: row.number,
    kind: row.kind,
    content: JSON.parse(row.content),
    parent: row.parent,
    run: row.run ? JSON.parse(row.run) : null,
    message: row.message,
    actor: row.actor,
    createdAt: row.created_at,
    specId: row.spec_id,
  };
}
