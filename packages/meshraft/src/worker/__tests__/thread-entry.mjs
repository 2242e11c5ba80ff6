// Worker threads do not inherit vitest's TypeScript loader, and Node 20 ignores `--import` in a
// Worker's execArgv: register tsx here, then load the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./thread-node.ts');
