// A stand-in for the Hugging Face hub on 127.0.0.1 serving one repository from a local folder with
// the routes @huggingface/hub uses: the tree listing and `resolve` with Range requests. It records
// requests, can drop a file's connection part-way (to test resumed downloads), and can refuse every
// request with a status (a gated or missing repository).
import { createServer, type Server } from 'node:http';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface HubServer {
  url: string;
  requests: { path: string; range: string | undefined }[];
  /** Bytes of `file` to send before dropping the connection; undefined sends everything. */
  cut: { file: string; after: number } | undefined;
  /** An answer to every request instead of the repository (a gated or missing one); undefined serves it. */
  refuse: { status: number; error: string } | undefined;
  close(): Promise<void>;
}

/** Serves `folder`'s files as model repository `repo`. */
export async function startHubServer(repo: string, folder: string): Promise<HubServer> {
  const files = readdirSync(folder).filter((file) => statSync(join(folder, file)).isFile());
  const state: HubServer = {
    url: '',
    requests: [],
    cut: undefined,
    refuse: undefined,
    close: async () => {},
  };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url!, 'http://localhost');
    state.requests.push({ path: url.pathname, range: request.headers.range });
    if (state.refuse) {
      response.writeHead(state.refuse.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: state.refuse.error }));
      return;
    }
    if (url.pathname === `/api/models/${repo}/tree/main`) {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify(
          files.map((file) => ({
            type: 'file',
            path: file,
            size: statSync(join(folder, file)).size,
            oid: file,
          })),
        ),
      );
      return;
    }
    const prefix = `/${repo}/resolve/main/`;
    const file = url.pathname.startsWith(prefix) ? decodeURIComponent(url.pathname.slice(prefix.length)) : '';
    if (!files.includes(file)) {
      response.writeHead(404, { 'X-Error-Code': 'EntryNotFound' });
      response.end('not found');
      return;
    }
    const bytes = readFileSync(join(folder, file));
    const match = /bytes=(\d+)-(\d*)/.exec(request.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match && match[2] ? Number(match[2]) + 1 : bytes.length;
    response.writeHead(match ? 206 : 200, {
      ETag: `"${file}"`,
      'Content-Length': end - start,
      ...(match ? { 'Content-Range': `bytes ${start}-${end - 1}/${bytes.length}` } : {}),
    });
    if (state.cut && state.cut.file === file && end - start > 1) {
      response.write(bytes.subarray(start, start + state.cut.after));
      setTimeout(() => response.destroy(), 20);
      return;
    }
    response.end(bytes.subarray(start, end));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
