/**
 * Where the AWS SDK sends fledge's calls: an emulator on this machine (moto, LocalStack), or a real AWS
 * account. A command that moves traffic asks before it touches a real account, a virtual clock is for
 * emulators only, and a local run's events stay off a real account's bus.
 */

export interface Endpoint {
  /** The configured endpoint (AWS_ENDPOINT_URL, or the profile's endpoint_url), when there is one. */
  url?: string;
  /** True when every call goes to an emulator: no real traffic, no real events. */
  emulator: boolean;
  /** In words, for messages: "the emulator at http://127.0.0.1:5000", "AWS". */
  name: string;
}

/** The shared config file as `loadSharedConfigFiles` parses it: sections by name ("services.x"). */
export type SharedConfig = Record<string, Record<string, string | undefined> | undefined>;

/** The services fledge calls, by the SDK's serviceId. */
const SERVICES = [
  'Lambda',
  'Route 53',
  'CloudWatch',
  'DynamoDB',
  'SFN',
  'EventBridge',
  'CloudFormation',
  'STS',
];

const AWS: Endpoint = { emulator: false, name: 'AWS' };

/**
 * Each service's endpoint as the SDK resolves it: AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then
 * the profile's services section, then the profile's endpoint_url; none at all under
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's ignore_configured_endpoint_urls).
 *
 * The endpoint is an emulator when every service's is a loopback host (localhost, 127.0.0.0/8, ::1).
 * FLEDGE_EMULATOR overrides the guess once any endpoint is configured: `true` for an emulator on another
 * host (LocalStack in a container), `false` for a loopback endpoint that reaches a real account (a proxy
 * or a tunnel).
 */
export function awsEndpoint(env: NodeJS.ProcessEnv = process.env, config: SharedConfig = {}): Endpoint {
  const profile = config[env.AWS_PROFILE?.trim() || 'default'] ?? {};
  const ignore = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? profile.ignore_configured_endpoint_urls;
  if (ignore?.trim().toLowerCase() === 'true') return AWS;
  const services = (profile.services && config[`services.${profile.services}`]) || {};
  const value = (v: string | undefined) => v?.trim() || undefined;
  const urls = SERVICES.map(
    (id) =>
      value(env[`AWS_ENDPOINT_URL_${id.toUpperCase().replaceAll(' ', '_')}`]) ??
      value(env.AWS_ENDPOINT_URL) ??
      value(services[`${id.toLowerCase().replaceAll(' ', '_')}.endpoint_url`]) ??
      value(profile.endpoint_url),
  );
  const url = value(env.AWS_ENDPOINT_URL) ?? value(profile.endpoint_url) ?? urls.find(Boolean);
  if (!url) return AWS;
  const override = env.FLEDGE_EMULATOR?.trim().toLowerCase();
  const emulator =
    override === 'true'
      ? true
      : override === 'false'
        ? false
        : urls.every((u) => u !== undefined && isLoopback(u));
  return { url, emulator, name: emulator ? `the emulator at ${url}` : `AWS through ${url}` };
}

/** The endpoint of this process: its environment and the shared config file of its profile. */
export async function configuredEndpoint(): Promise<Endpoint> {
  const { loadSharedConfigFiles } = await import('@smithy/core/config');
  const { configFile } = await loadSharedConfigFiles();
  return awsEndpoint(process.env, configFile);
}

/** Whether a URL's host is this machine. */
export function isLoopback(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]' || host === '::1') return true;
  return /^127(\.\d{1,3}){3}$/.test(host);
}
