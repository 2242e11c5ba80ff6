/** Test helper: seeded random JSON values (leaves, arrays, objects of the given field names), for the gateway fuzz tests. */
export function garbageMaker(fields: readonly string[], strings: readonly string[]): (rand: () => number, depth: number) => unknown {
  const garbage = (rand: () => number, depth: number): unknown => {
    const r = rand();
    if (depth > 3 || r < 0.3) {
      const leaf = [null, true, false, 0, -1, 1.5, 7, 2 ** 60, strings[Math.floor(rand() * strings.length)]!];
      return leaf[Math.floor(rand() * leaf.length)];
    }
    if (r < 0.45) return Array.from({ length: Math.floor(rand() * 4) }, () => garbage(rand, depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rand() * 5); i > 0; i--) o[fields[Math.floor(rand() * fields.length)]!] = garbage(rand, depth + 1);
    return o;
  };
  return garbage;
}
