/**
 * `pnpm bench write-path`: where one connection's write spends its time. Three `meshraft peer`s
 * with their defaults (file storage with fsync, WebRTC; WRITE_PATH_RELAY=1 for the relay) record
 * write-path timestamps (MESHRAFT_WRITE_TRACE, see @meshraft/transport's write-trace), h2load
 * sends one 100-byte PUT at a time to the leader's JSON gateway for WRITE_PATH_SECONDS (default
 * 5), and the leader's and followers' logs are split into the path's legs (write-path-report).
 * Prints the median and mean of each leg in ms, one JSON line per leg. Needs h2load.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, requireNetworkInterface, type BenchCase, type BenchResult } from '../bench-case.js';
import { agent } from '../procs/http.js';
import { hasH2load, putLoad } from '../procs/load.js';
import { startMeshraftCluster } from '../procs/meshraft-cluster.js';
import { LEGS, parseTrace, writeLegs } from '../write-path-report.js';

const SECONDS = Number(process.env.WRITE_PATH_SECONDS ?? 5);
const RELAY = process.env.WRITE_PATH_RELAY === '1';

const writePath: BenchCase = {
  async *run(): AsyncIterable<BenchResult> {
    if (!hasH2load()) throw new Error('bench write-path needs h2load: apt-get install nghttp2-client');
    if (!RELAY) requireNetworkInterface('write-path');
    const dir = mkdtempSync(join(tmpdir(), 'meshraft-write-trace-'));
    // The peers inherit it (the variable is read when write-trace loads; nothing here loads it now).
    process.env.MESHRAFT_WRITE_TRACE = dir;
    try {
      const mesh = await startMeshraftCluster({ relayOnly: RELAY });
      delete process.env.MESHRAFT_WRITE_TRACE;
      let from = 0;
      let load;
      try {
        await putLoad(mesh.leader, 1, 2); // warm-up: JIT, links
        from = Date.now();
        load = await putLoad(mesh.leader, 1, SECONDS);
      } finally {
        await mesh.stop();
        agent.destroy();
      }
      const log = (pid: number) => parseTrace(readFileSync(join(dir, `${pid}.log`), 'utf8'));
      const legs = writeLegs(log(mesh.leaderPid), mesh.memberPids.filter((p) => p !== mesh.leaderPid).map(log), from);
      const writes = legs.get('total: HTTP in → reply')!.length;
      const extra = { writes, h2load_mean_ms: load.meanMs, transport: RELAY ? 'relay' : 'webrtc', seconds: SECONDS };
      for (const leg of LEGS) {
        const ms = legs.get(leg)!;
        if (ms.length === 0) continue;
        const mean = ms.reduce((s, x) => s + x, 0) / ms.length;
        yield { metric: leg, value: +median(ms).toFixed(3), unit: 'ms', mean: +mean.toFixed(3), ...extra };
      }
    } finally {
      delete process.env.MESHRAFT_WRITE_TRACE;
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default writePath;
