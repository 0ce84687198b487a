/**
 * The AWS/Lambda metrics of an alias and of each version behind it. Pure: they name metrics, they do not
 * read them.
 */
import type { CountsQuery, MetricRef } from '../../core/ports';

/** The function's name from a name or an unqualified ARN, as AWS/Lambda's dimensions spell it. */
function functionOf(functionName: string): string {
  return functionName.includes(':function:')
    ? (functionName.split(':function:')[1] ?? functionName)
    : functionName;
}

/** An AWS/Lambda metric of one version behind an alias (Resource = "function:alias", ExecutedVersion). */
export function lambdaVersionMetric(
  functionName: string,
  alias: string,
): (metricName: string, version: string) => MetricRef {
  const name = functionOf(functionName);
  return (metricName, version) => ({
    namespace: 'AWS/Lambda',
    metricName,
    dimensions: { FunctionName: name, Resource: `${name}:${alias}`, ExecutedVersion: version },
  });
}

/**
 * AWS/Lambda counts for one alias, split by ExecutedVersion: the dimensions Lambda publishes for
 * weighted aliases (FunctionName, Resource = "function:alias", ExecutedVersion).
 */
export function lambdaAliasCounts(
  functionName: string,
  alias: string,
  baseline: string,
  canary: string,
): CountsQuery {
  const ref = lambdaVersionMetric(functionName, alias);
  return {
    canary: { requests: ref('Invocations', canary), errors: ref('Errors', canary) },
    baseline: { requests: ref('Invocations', baseline), errors: ref('Errors', baseline) },
  };
}

/**
 * AWS/Lambda counts of the alias itself, whatever version served them: before a rollout every request
 * through the alias reaches the stable version, so its last hour is the stable version's.
 */
export function lambdaAliasMetric(functionName: string, alias: string): (metricName: string) => MetricRef {
  const name = functionOf(functionName);
  return (metricName) => ({
    namespace: 'AWS/Lambda',
    metricName,
    dimensions: { FunctionName: name, Resource: `${name}:${alias}` },
  });
}
