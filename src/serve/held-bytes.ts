// The memory a loaded adapter version holds, for the service to show and bound: the bytes of every typed
// array reachable from its prompt, adapter and KV prefix (each counted once, however often it is
// reached). It does not count the frozen model, which a session refers to but every version shares.

/** Bytes of the typed arrays reachable from `roots` through plain objects, arrays and maps. */
export function heldBytes(roots: unknown[]): number {
  const seen = new Set<object>();
  let bytes = 0;
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      bytes += value.byteLength;
      return;
    }
    const values =
      value instanceof Map ? value.values() : Array.isArray(value) ? value : Object.values(value);
    for (const each of values) visit(each);
  };
  for (const root of roots) visit(root);
  return bytes;
}
