import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ASL_PATH = fileURLToPath(new URL('../../statemachines/canary.asl.yml', import.meta.url));

export interface StateDefinition {
  Type: string;
  Resource?: unknown;
  Seconds?: number;
  SecondsPath?: string;
  [key: string]: unknown;
}

export interface Definition {
  StartAt: string;
  States: Record<string, StateDefinition>;
  [key: string]: unknown;
}

/** The ARN the local runner gives a function that the deployed template resolves with Fn::GetAtt. */
export function localFunctionArn(functionName: string): string {
  return `arn:aws:lambda:us-east-1:000000000000:function:fledge-${functionName}`;
}

/**
 * Reads the real ASL and replaces each `Fn::GetAtt: [fn, Arn]` Resource with a Lambda ARN, which is what
 * CloudFormation does at deploy time. Returns the definition, the function of each fledge Task state,
 * and the service integration (e.g. `arn:aws:states:::lambda:invoke`) of each other Task state.
 */
export function loadDefinition(path = ASL_PATH): {
  definition: Definition;
  taskFunctions: Record<string, string>;
  integrations: Record<string, string>;
} {
  const definition = parsed(path);
  const taskFunctions: Record<string, string> = {};
  const integrations: Record<string, string> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    if (typeof state.Resource === 'string' && state.Resource.startsWith('arn:aws:states:::')) {
      integrations[name] = state.Resource;
      continue;
    }
    const getAtt = (state.Resource as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
    if (!getAtt) throw new Error(`state ${name}: Resource must be Fn::GetAtt [function, Arn]`);
    taskFunctions[name] = getAtt[0];
    state.Resource = localFunctionArn(getAtt[0]);
  }
  return { definition, taskFunctions, integrations };
}

/** The ASL parsed once per file and content: each caller gets its own copy to resolve and change. */
const parses = new Map<string, { text: string; definition: Definition }>();

function parsed(path: string): Definition {
  const text = readFileSync(path, 'utf8');
  let cached = parses.get(path);
  if (cached?.text !== text) {
    cached = { text, definition: parse(text, { merge: true }) as Definition };
    parses.set(path, cached);
  }
  return structuredClone(cached.definition);
}

/** The seconds a Wait state waits for a given raw input (Seconds or a `$.a.b` SecondsPath). */
export function waitSeconds(state: StateDefinition, input: unknown): number {
  if (typeof state.Seconds === 'number') return state.Seconds;
  const path = state.SecondsPath;
  if (typeof path !== 'string' || !/^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(path)) {
    throw new Error(`Wait state needs Seconds or a simple SecondsPath, got ${String(path)}`);
  }
  let value: unknown = input;
  for (const key of path.slice(2).split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  if (typeof value !== 'number') throw new Error(`SecondsPath ${path} is not a number in the state input`);
  return value;
}
