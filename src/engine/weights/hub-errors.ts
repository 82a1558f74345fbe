// The coded errors of hf: references, one per thing the user does about it: a repository that does not
// exist (check the id), one that needs a token (HF_TOKEN), a host that cannot be reached (place the files
// by hand), and no network allowed with nothing cached. Links point at HF_ENDPOINT when it is set.
import { join } from 'node:path';
import { DownloadError } from '../../errors/index.js';

/** Where an hf: reference was looked for and would be fetched from. */
export interface HubPlaces {
  /** The reference as written. */
  text: string;
  repo: string;
  revision: string;
  file: string | undefined;
  /** Its folder in promptune's cache. */
  folder: string;
  /** The hub's address (HF_ENDPOINT, else https://huggingface.co). */
  endpoint: string;
  /** The Hugging Face cache it was looked for in. */
  huggingFaceCache: string;
}

/** The repository's page on the hub. */
export function repositoryPage(places: Pick<HubPlaces, 'endpoint' | 'repo'>): string {
  return `${places.endpoint.replace(/\/+$/, '')}/${places.repo}`;
}

/** How to put the files in place without the network. */
export function placeByHand(places: HubPlaces): string {
  const page = repositoryPage(places);
  const snapshot = join(
    places.huggingFaceCache,
    `models--${places.repo.replace('/', '--')}`,
    'snapshots',
    '<commit>',
  );
  if (places.file)
    return `place ${places.file} from ${page}/tree/${places.revision} in ${places.folder} by hand, or have it in the Hugging Face cache (${snapshot}), or pass a local path to --model.`;
  return (
    `place config.json, tokenizer.json and model.safetensors from ${page} in ${places.folder} by hand ` +
    `(a sharded model: model.safetensors.index.json and every model-*-of-*.safetensors shard it names, instead of model.safetensors), ` +
    `or have them in the Hugging Face cache (${snapshot}, with refs/${places.revision} naming the commit), or pass a local path to --model.`
  );
}

/** The status of a hub API answer (@huggingface/hub's HubApiError), if `error` is one. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The coded error for a failure talking to the hub about `places`. */
export function hubFailure(error: unknown, places: HubPlaces): DownloadError {
  const status = statusOf(error);
  const reason = (error as Error).message;
  const page = repositoryPage(places);
  // unauthenticated, the hub answers 401 "Repository not found" for a private or missing repository
  if (status === 404 || (status === 401 && /not found/i.test(reason))) {
    return new DownloadError(
      `${places.text}: the hub has no repository ${places.repo} at ${places.revision} (${status})`,
      {
        code: 'HUB_NOT_FOUND',
        hint: `Check the repository id and revision at ${page} (hf:<org>/<name>[@revision], spelled as on the hub); a private repository is found only with a token: set HF_TOKEN.`,
        cause: error,
      },
    );
  }
  if (status === 401 || status === 403) {
    return new DownloadError(`${places.text}: the hub refused access to ${places.repo} (${status})`, {
      code: 'HUB_UNAUTHORIZED',
      hint: `The repository is gated or private: accept its terms at ${page}, then set HF_TOKEN to an access token of that account (read access is enough)${process.env.HF_TOKEN ? '; the HF_TOKEN now set has no access to it' : ''}.`,
      cause: error,
    });
  }
  const answered = status === undefined ? '' : ` (the hub answered ${status})`;
  return new DownloadError(`cannot download ${places.text} from ${places.endpoint}${answered}: ${reason}`, {
    code: 'HUB_UNREACHABLE',
    hint: `If this machine is offline, ${placeByHand(places)}`,
    cause: error,
  });
}

/** No network allowed (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE) and nothing usable cached. */
export function offlineNotCached(places: HubPlaces, looked: string[]): DownloadError {
  return new DownloadError(
    `${places.text} is not cached, and HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE forbids the network; looked in ${looked.join('; ')}`,
    {
      code: 'HUB_OFFLINE_NOT_CACHED',
      hint: `Unset HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE to download it, or ${placeByHand(places)}`,
    },
  );
}
