/**
 * Where the AWS SDK sends fledge's calls: an emulator on this machine (moto, LocalStack), or a real AWS
 * account. A command that moves traffic asks before it touches a real account, a virtual clock is for
 * emulators only, and a local run's events stay off a real account's bus.
 */

export interface Endpoint {
  /** AWS_ENDPOINT_URL, when set. */
  url?: string;
  /** True when every call goes to an emulator: no real traffic, no real events. */
  emulator: boolean;
  /** In words, for messages: "the emulator at http://127.0.0.1:5000", "AWS". */
  name: string;
}

/**
 * An endpoint is an emulator when AWS_ENDPOINT_URL names a loopback host (localhost, 127.0.0.0/8, ::1)
 * and no service-specific AWS_ENDPOINT_URL_<SERVICE> sends a service elsewhere. FLEDGE_EMULATOR overrides
 * the guess for a set AWS_ENDPOINT_URL: `true` for an emulator on another host (LocalStack in a
 * container), `false` for a loopback endpoint that reaches a real account (a proxy or a tunnel).
 */
export function awsEndpoint(env: NodeJS.ProcessEnv = process.env): Endpoint {
  const url = env.AWS_ENDPOINT_URL?.trim() || undefined;
  if (!url) return { emulator: false, name: 'AWS' };
  const override = env.FLEDGE_EMULATOR?.trim().toLowerCase();
  const perService = Object.entries(env).filter(
    ([key, value]) => key.startsWith('AWS_ENDPOINT_URL_') && value?.trim(),
  );
  const emulator =
    override === 'true'
      ? true
      : override === 'false'
        ? false
        : isLoopback(url) && perService.every(([, value]) => isLoopback(value ?? ''));
  return { url, emulator, name: emulator ? `the emulator at ${url}` : `AWS through ${url}` };
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
