/** A getter that builds its value on the first call and returns the same one afterwards. */
export function lazy<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}
