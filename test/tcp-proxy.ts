// A TCP proxy on 127.0.0.1 in front of a test server that can stop forwarding without closing anything:
// the network partition a database behind a dropped route or a failed-over address is, where a query
// on an open connection waits for an answer that never comes (not a refused connection).
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A running proxy: its port, a switch that drops (or passes again) every byte, and a stop. */
export interface TcpProxy {
  port: number;
  setDropping(dropping: boolean): void;
  stop(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let dropping = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    if (dropping) return; // accepted, never answered
    const upstream = createConnection(targetPort, '127.0.0.1');
    sockets.add(upstream);
    client.on('data', (data) => void (dropping || upstream.write(data)));
    upstream.on('data', (data) => void (dropping || client.write(data)));
    const end = () => (client.destroy(), upstream.destroy());
    for (const socket of [client, upstream]) socket.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    setDropping: (value) => void (dropping = value),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
