/** `npm run schema`: writes the published JSON Schema of the console input from shared/core/schema.ts. */
import { writeFileSync } from 'node:fs';
import { deployInputJsonSchema } from '../shared/core/schema';

export const SCHEMA_PATH = 'docs/schema/deploy-input.schema.json';

writeFileSync(SCHEMA_PATH, `${JSON.stringify(deployInputJsonSchema(), null, 2)}\n`);
console.log(`wrote ${SCHEMA_PATH}`);
