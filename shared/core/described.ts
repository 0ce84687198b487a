/** The one helper the input schemas share, kept apart so a target kind's schema can use it. */
import * as z from 'zod/mini';

/**
 * Classic zod's `schema.describe(description)`: a copy of the schema with the description in the
 * global registry, where the JSON Schema takes it from. (Not mini's `z.describe` check, which would run
 * a no-op check on every parse.)
 */
export function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  const copy = schema.clone();
  z.globalRegistry.add(copy, { description });
  return copy;
}
