/**
 * @module runtime/runtime-churn
 * Graceful leaves in the runtime simulator (issue 12). A departure is what a tab does on
 * pagehide: a leader hands leadership to another voter, the node says it is departing
 * (MeshraftNode.depart()), and its page closes a few milliseconds later (the process is gone;
 * its disk stays).
 *
 * - Every seed: now and then a member departs and closes; the usual restart path reloads it later
 *   from its disk (a reload: it was removed meanwhile, and must come back by itself).
 * - One seed in five is a *departure sequence*, `demo --peer` in small: the founder is a durable
 *   peer and every other node an ephemeral tab (membership.ephemeral). The other faults that could
 *   take a majority away (crashes, partitions, pauses, throttles, operator leaves, joins) are off,
 *   the network loses no frame (a lost departure falls back to the grace period, see docs/runtime.md),
 *   and the tabs depart one after another, a few election timeouts apart, until only the peer
 *   remains. Checked: that member is
 *   then the only voter (a settled configuration) and a write through it commits; a fresh node
 *   then joins it; half the time the departed members come back with their old logs and must
 *   be back in the configuration by the end. Every acknowledged write stays visible: the clients
 *   keep running through the sequence and their history is checked for linearizability.
 */
import type { Xoshiro128 } from '@meshraft/sim';
import type { RuntimeFaultRates } from './runtime-simulator.js';
import type { RuntimeCluster, Slot } from './runtime-cluster.js';
import type { VirtualClock } from './virtual-clock.js';

export interface ChurnOptions {
  readonly rng: Xoshiro128;
  readonly cluster: RuntimeCluster;
  readonly clock: VirtualClock;
  readonly electionMs: number;
  /** End of the fault phase (virtual ms): the sequence and its checks fit before it. */
  readonly faultMs: number;
  /** Per fault step: chance that a random member departs (outside a sequence). */
  readonly departRate: number;
  /** Name for a fresh node (the simulator's id counter). */
  readonly freshId: () => string;
  /** The durable peer of a sequence (the founder). */
  readonly durableId: string;
}

/** The faults a departure sequence turns off: each could take a majority away by itself. */
const QUIET: Partial<RuntimeFaultRates> = { crash: 0, writeCrash: 0, partition: 0, pause: 0, throttle: 0, leave: 0, join: 0, transfer: 0 };

export class RuntimeChurn {
  /** This seed runs a departure sequence. */
  readonly sequence: boolean;
  departures = 0;
  /** What a sequence's checks found wrong (the verdict is a violation if any). */
  readonly failures: string[] = [];
  private readonly departed: Slot[] = [];
  /** Departed for good while members: taken out, they must rejoin when they come back. */
  private readonly replaced: string[] = [];
  private survivor: string | undefined;
  private fresh: string | undefined;
  private returned = false;
  /** Sequence seeds whose checks all ran (the survivor's, and the rejoin check). */
  completed = 0;

  constructor(private readonly o: ChurnOptions) {
    this.sequence = o.rng.chance(0.2);
  }

  /** In a sequence every node but the durable one is a tab. */
  ephemeral(id: string): boolean {
    return this.sequence && id !== this.o.durableId;
  }

  /** Rates with the quiet ones off for a sequence seed. */
  rates(rates: RuntimeFaultRates): RuntimeFaultRates {
    return this.sequence ? { ...rates, ...QUIET } : rates;
  }

  /** Schedules the sequence (call once, before the run). */
  plan(): void {
    if (!this.sequence) return;
    const { clock, electionMs } = this.o;
    const at = 5 * electionMs;
    const next = (): void => {
      const tabs = this.o.cluster.live().filter((s) => s.id !== this.o.durableId);
      if (tabs.length === 0) {
        this.survivor = this.o.durableId;
        clock.at(clock.now + 3 * electionMs, 'sim', () => this.checkSurvivor());
        return;
      }
      this.depart(this.o.rng.pick(tabs), true);
      clock.at(clock.now + this.o.rng.range(2 * electionMs, 4 * electionMs), 'sim', next);
    };
    clock.at(at, 'sim', next);
  }

  /** Once per fault step: outside a sequence, now and then a member departs and closes. */
  step(): void {
    if (this.sequence || !this.o.rng.chance(this.o.departRate)) return;
    const live = this.o.cluster.live();
    if (live.length > 1) this.depart(this.o.rng.pick(live), false);
  }

  /** Eight election timeouts after the survivor check: the fresh node, and members that came back, are in. */
  private verifyMembers(): void {
    if (this.survivor === undefined) return;
    const node = this.o.cluster.node(this.survivor);
    if (node === undefined) return;
    const members = new Set(node.status().members.map((m) => m.id));
    const expected = [...(this.returned ? this.replaced : []), ...(this.fresh === undefined ? [] : [this.fresh])];
    const missing = expected.filter((id) => !members.has(id));
    this.completed++;
    if (missing.length > 0) this.failures.push(`stranded: ${missing.join(', ')} came back but never rejoined ${this.survivor}'s configuration`);
  }

  private depart(slot: Slot, forGood: boolean): void {
    const node = slot.inc?.node;
    if (node === undefined) return;
    const { cluster, clock, rng } = this.o;
    this.departures++;
    cluster.line(`${slot.id} departs (pagehide)${forGood ? '; its tab closes for good' : ''}`);
    const st = node.status();
    const wasMember = st.members.some((m) => m.id === slot.id);
    // As attachPageLifecycle does: a leader hands over first, then the node says goodbye.
    if (st.role === 'leader') {
      const to = st.members.find((m) => m.role === 'voter' && m.id !== slot.id && cluster.node(m.id) !== undefined);
      if (to !== undefined) node.transferLeadership(to.id, { timeoutMs: 4 * this.o.electionMs }).catch(() => {});
    }
    node.depart();
    clock.at(clock.now + rng.range(1, 15), 'sim', () => {
      cluster.crash(slot.id, 'its page closed after pagehide', 'page-closed');
      if (forGood) {
        slot.gone = true;
        this.departed.push(slot);
        if (wasMember) this.replaced.push(slot.id);
      }
    });
  }

  /** The last member: the only voter, writable; then a fresh node joins and the departed may return. */
  private checkSurvivor(): void {
    const { cluster, clock, electionMs, rng } = this.o;
    const node = this.survivor === undefined ? undefined : cluster.node(this.survivor);
    if (node === undefined) {
      this.failures.push('the departure sequence left no member running');
      return;
    }
    const st = node.status();
    const voters = st.members.filter((m) => m.role === 'voter').map((m) => m.id);
    if (st.joint || voters.length !== 1 || voters[0] !== node.id) {
      this.failures.push(`stranded: after the departures ${node.id} is not the only voter (voters [${voters.join(' ')}]${st.joint ? ', joint' : ''})`);
      return;
    }
    const write = { type: 'put' as const, key: new TextEncoder().encode('churn'), value: new TextEncoder().encode(`survivor@${clock.now}`) };
    node.propose(write, { timeoutMs: 10 * electionMs }).then(
      () => cluster.line(`${node.id} alone: a write committed`),
      (err: unknown) => this.failures.push(`stranded: the survivor ${node.id} could not write: ${String(err)}`),
    );
    if (clock.now + 9 * electionMs >= this.o.faultMs) return; // no time left to check a join
    this.fresh = this.o.freshId();
    cluster.add(this.fresh, false);
    clock.at(clock.now + 8 * electionMs, 'sim', () => this.verifyMembers());
    if (rng.chance(0.5)) {
      this.returned = true;
      clock.at(clock.now + electionMs, 'sim', () => {
        for (const s of this.departed) {
          s.gone = false;
          cluster.line(`${s.id} comes back with its old log`);
          cluster.start(s);
        }
      });
    }
  }
}
