/** The write-path report splits a traced write into its legs, by entry index across processes. */
import { describe, expect, it } from 'vitest';
import { parseTrace, writeLegs } from './write-path-report.js';

const log = (lines: [number, string, string?, string?][]): string => lines.map(([t, e, a = '', b = '']) => `${t} ${e} ${a} ${b}`).join('\n');

describe('writeLegs', () => {
  it('follows entry 7 from the leader to the follower that acked first, and back', () => {
    const leader = parseTrace(log([
      [100, 'http-in'], [100.2, 'propose'], [100.3, 'ready', '7'], [100.4, 'tx0', '300'], [100.6, 'tx1'], [100.6, 'tx0', '300'], [100.9, 'tx1'],
      [100.95, 'save0', '1'], [101.5, 'save1'], [102.5, 'step', 'appResp', '7'], [102.7, 'ready', '', '7'], [102.8, 'applied', '7'], [102.9, 'http-out'],
    ]));
    const slow = parseTrace(log([[101.2, 'rx', '300'], [101.3, 'ready', '7', '6'], [101.4, 'save0', '1'], [103, 'save1'], [103.1, 'tx0', '150'], [103.2, 'tx1']]));
    const fast = parseTrace(log([[101, 'rx', '300'], [101.1, 'ready', '7', '6'], [101.2, 'save0', '1'], [101.8, 'save1'], [101.9, 'tx0', '150'], [102, 'tx1']]));
    const legs = writeLegs(leader, [slow, fast]);
    const at = (leg: string) => +legs.get(leg as never)![0]!.toFixed(3);
    expect(at('HTTP in → propose')).toBe(0.2);
    expect(at('leader: both append sends (blocking calls)')).toBe(0.5);
    expect(at('hop: leader → first follower (receive)')).toBe(0.6); // the fast follower
    expect(at('follower: save (fsync)')).toBe(0.6);
    expect(at('hop: follower → leader (ack stepped)')).toBe(0.5);
    expect(at('leader: ack → applied')).toBe(0.3);
    expect(at('total: HTTP in → reply')).toBe(2.9);
  });

  it('leaves out writes from before `from` and writes whose follower side is missing', () => {
    const leader = parseTrace(log([[1, 'http-in'], [1.1, 'propose'], [1.2, 'ready', '3'], [1.3, 'tx0'], [1.4, 'tx1'], [1.5, 'save0'], [1.6, 'save1'], [2, 'step', 'appResp', '3'], [2.1, 'applied', '3'], [2.2, 'http-out']]));
    expect(writeLegs(leader, [[]]).get('total: HTTP in → reply')).toEqual([]);
    expect(writeLegs(leader, [], 5).get('total: HTTP in → reply')).toEqual([]);
  });
});
