/**
 * Serves e2e/fixtures with Vite so fixture pages import workspace packages from source.
 * The URL is published to tests as process.env.FIXTURES_URL.
 */
import { createServer } from 'vite';
import { fileURLToPath } from 'node:url';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = fileURLToPath(new URL('./fixtures', import.meta.url));
  const server = await createServer({
    root,
    logLevel: 'warn',
    resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite fixture server has no port');
  process.env.FIXTURES_URL = `http://127.0.0.1:${address.port}`;
  return async () => {
    await server.close();
  };
}
