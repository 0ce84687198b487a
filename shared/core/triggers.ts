/**
 * What started a run: the console input itself, a `Canary Release Requested` deploy event, or Lambda's
 * CloudTrail event for a newly published version. Pure but for the tag lookup, which is passed in.
 */
import { InvalidInputError } from './errors';

export const DEPLOY_EVENT = 'Canary Release Requested';
export const CLOUDTRAIL_EVENT = 'AWS API Call via CloudTrail';
/** The tags a function opts in with. */
export const TAGS = { alias: 'fledge:alias', strategy: 'fledge:strategy', alarms: 'fledge:alarms' } as const;

/**
 * `console`: the input itself, given to a deployed execution; `local`: the input itself, run in-process by
 * `fledge run`; the other two: an event.
 */
export type TriggerSource = 'console' | 'local' | 'deploy-event' | 'lambda-publish';

export type Trigger =
  | { kind: 'rollout'; input: unknown; source: TriggerSource; eventId?: string }
  | { kind: 'skip'; reason: string; source: TriggerSource; eventId?: string };

interface EventEnvelope {
  id?: string;
  source?: string;
  'detail-type'?: string;
  detail?: unknown;
}

interface CloudTrailDetail {
  eventName?: string;
  errorCode?: string;
  requestParameters?: { functionName?: string; publish?: boolean } | null;
  responseElements?: { functionName?: string; functionArn?: string; version?: string } | null;
}

/** Reads a function's tags; the function is named by its unqualified ARN or name. */
export type TagReader = (functionArn: string) => Promise<Record<string, string>>;

export async function interpretTrigger(raw: unknown, readTags: TagReader): Promise<Trigger> {
  if (!isEvent(raw)) return { kind: 'rollout', input: raw, source: 'console' };
  const eventId = raw.id;
  const base = eventId ? { eventId } : {};
  const detailType = raw['detail-type'];
  if (detailType === DEPLOY_EVENT) {
    return { kind: 'rollout', input: raw.detail, source: 'deploy-event', ...base };
  }
  if (detailType === CLOUDTRAIL_EVENT && raw.source === 'aws.lambda') {
    return fromCloudTrail((raw.detail ?? {}) as CloudTrailDetail, readTags, base);
  }
  throw new InvalidInputError(
    `an event with detail-type '${detailType}' from '${raw.source}' is not a fledge trigger; ` +
      `send '${DEPLOY_EVENT}' with the rollout input as its detail`,
  );
}

async function fromCloudTrail(
  detail: CloudTrailDetail,
  readTags: TagReader,
  base: { eventId?: string },
): Promise<Trigger> {
  const skip = (reason: string): Trigger => ({ kind: 'skip', reason, source: 'lambda-publish', ...base });
  const name = detail.eventName ?? '';
  const published = /^PublishVersion/.test(name) || detail.requestParameters?.publish === true;
  if (detail.errorCode) return skip(`${name} failed (${detail.errorCode}); no version to release`);
  if (/^CreateFunction/.test(name))
    return skip('a new function has no alias and no baseline to compare with');
  if (!/^(PublishVersion|UpdateFunctionCode)/.test(name) || !published) {
    return skip(`${name || 'the call'} does not publish a version`);
  }
  const version = detail.responseElements?.version;
  const arn = detail.responseElements?.functionArn;
  const functionName = detail.responseElements?.functionName ?? detail.requestParameters?.functionName;
  if (!version || !/^\d+$/.test(version) || !functionName) {
    return skip(`${name} carries no published version number`);
  }
  const unqualified = arn ? arn.replace(/:\d+$/, '') : functionName;
  let tags: Record<string, string>;
  try {
    tags = await readTags(unqualified);
  } catch (error) {
    // The rule sees every function of the account; a deployment narrowed to some (targetFunctions) may
    // not read the others' tags. Such a function is not fledge's to release: skip it, do not fail.
    if ((error as Error).name !== 'AccessDeniedException') throw error;
    return skip(
      `fledge may not read the tags of function ${functionName} (AccessDeniedException): it is outside the functions this deployment may change (targetFunctions)`,
    );
  }
  const alias = tags[TAGS.alias];
  if (!alias)
    return skip(`function ${functionName} has no ${TAGS.alias} tag; tag it to opt in to canary releases`);
  const alarms = (tags[TAGS.alarms] ?? '')
    .split(/[\s,]+/)
    .map((a) => a.trim())
    .filter(Boolean);
  return {
    kind: 'rollout',
    source: 'lambda-publish',
    ...base,
    input: {
      target: { type: 'lambda-alias', functionName, alias, version },
      ...(tags[TAGS.strategy] ? { strategy: tags[TAGS.strategy] } : {}),
      ...(alarms.length > 0 ? { analysis: { alarms } } : {}),
    },
  };
}

function isEvent(raw: unknown): raw is EventEnvelope {
  return typeof raw === 'object' && raw !== null && 'detail-type' in raw && 'source' in raw;
}
