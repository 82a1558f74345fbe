// The task spec a version serves with, read by its specId: what the dashboard shows and diffs beside the
// prompt (the output, the guards, the decoding).
import type { ServingSpec, Version } from './types';
import { useApi } from './use-api';

/** The spec `version` serves with (undefined while it loads, or without a version). */
export function useServingSpec(version: Version | undefined): ServingSpec | undefined {
  const path = version?.specId
    ? `/v1/tasks/${encodeURIComponent(version.task)}/specs/${encodeURIComponent(version.specId)}`
    : null;
  return useApi<ServingSpec>(path).data;
}
