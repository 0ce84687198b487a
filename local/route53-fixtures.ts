/**
 * A hosted zone with a stable/canary pair of weighted records, and unrelated records around them.
 *
 * moto deletes a weighted record by SetIdentifier alone, across every name in the zone (Route 53 matches
 * the whole record), so give each app its own zone when running against moto.
 */
import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';

export async function createZone(name: string): Promise<string> {
  const route53 = new Route53Client({});
  const zone = await route53.send(
    new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Date.now()}` }),
  );
  route53.destroy();
  return (zone.HostedZone?.Id ?? '').replace('/hostedzone/', '');
}

/**
 * The two weighted A records of an app: `primary` at weight 100, `canary` at 0, each with its own health
 * check if `healthChecks` names them.
 */
export async function createWeightedPair(
  zoneId: string,
  name: string,
  stableIp: string,
  canaryIp: string,
  ttl = 60,
  healthChecks: { stable?: string; canary?: string } = {},
): Promise<void> {
  const record = (id: string, weight: number, ip: string, check?: string): ResourceRecordSet => ({
    Name: name,
    Type: 'A',
    SetIdentifier: id,
    Weight: weight,
    TTL: ttl,
    ResourceRecords: [{ Value: ip }],
    ...(check ? { HealthCheckId: check } : {}),
  });
  await change(zoneId, [
    record('primary', 100, stableIp, healthChecks.stable),
    record('canary', 0, canaryIp, healthChecks.canary),
  ]);
}

/** An HTTP health check of one fleet's address; returns its id. */
export async function createHealthCheck(ip: string): Promise<string> {
  const route53 = new Route53Client({});
  const created = await route53.send(
    new CreateHealthCheckCommand({
      CallerReference: `${ip}-${Date.now()}-${Math.random()}`,
      HealthCheckConfig: { Type: 'HTTP', IPAddress: ip, Port: 80, ResourcePath: '/health' },
    }),
  );
  route53.destroy();
  return created.HealthCheck?.Id ?? '';
}

/** `count` records of several types that a rollout must never touch. */
export async function createUnrelatedRecords(zoneId: string, zone: string, count: number): Promise<void> {
  const records: ResourceRecordSet[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 5;
    const name = `svc${i}.${zone}`;
    if (kind === 0)
      records.push({ Name: name, Type: 'A', TTL: 300, ResourceRecords: [{ Value: `198.51.100.${i}` }] });
    if (kind === 1)
      records.push({ Name: name, Type: 'AAAA', TTL: 300, ResourceRecords: [{ Value: `2001:db8::${i}` }] });
    if (kind === 2)
      records.push({
        Name: name,
        Type: 'CNAME',
        TTL: 60,
        ResourceRecords: [{ Value: `target${i}.${zone}` }],
      });
    if (kind === 3)
      records.push({ Name: name, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: `"v=${i}"` }] });
    if (kind === 4) {
      records.push({
        Name: name,
        Type: 'MX',
        TTL: 3600,
        ResourceRecords: [{ Value: `10 mail${i}.${zone}` }],
      });
    }
  }
  await change(zoneId, records);
}

export async function listRecords(zoneId: string): Promise<ResourceRecordSet[]> {
  const route53 = new Route53Client({});
  const out: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string; id?: string } = {};
  for (;;) {
    const page = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: start.name,
        StartRecordType: start.type as never,
        StartRecordIdentifier: start.id,
      }),
    );
    out.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated) break;
    start = { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier };
  }
  route53.destroy();
  return out;
}

async function change(zoneId: string, records: ResourceRecordSet[]): Promise<void> {
  const route53 = new Route53Client({});
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: records.map((ResourceRecordSet) => ({ Action: 'CREATE', ResourceRecordSet })) },
    }),
  );
  route53.destroy();
}
