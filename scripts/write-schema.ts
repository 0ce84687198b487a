/**
 * `npm run schema`: writes the published JSON Schemas: the console input (shared/core/schema.ts) and
 * the lifecycle events' details (shared/core/event-schemas.ts).
 */
import { writeFileSync } from 'node:fs';
import { lifecycleEventsJsonSchema } from '../shared/core/event-schemas';
import { deployInputJsonSchema } from '../shared/core/schema';

export const SCHEMA_PATH = 'docs/schema/deploy-input.schema.json';
export const EVENTS_SCHEMA_PATH = 'docs/schema/lifecycle-events.schema.json';

writeFileSync(SCHEMA_PATH, `${JSON.stringify(deployInputJsonSchema(), null, 2)}\n`);
writeFileSync(EVENTS_SCHEMA_PATH, `${JSON.stringify(lifecycleEventsJsonSchema(), null, 2)}\n`);
console.log(`wrote ${SCHEMA_PATH} and ${EVENTS_SCHEMA_PATH}`);
