/**
 * One sentence per lifecycle event, for people: what happened, to which target, and why. Pure. It
 * rides in the event as `summary`, which the notification rules put in e-mails and chat messages, so
 * it holds no double quote, backslash or line break (EventBridge's input transformer pastes values
 * into its templates unescaped).
 */
import type { Target } from './schema';
import { sideLabel, targetLabel } from './target-label';

interface Detail {
  target?: Target;
  baseline?: string;
  canary?: string;
  reason?: string;
  step?: number;
  steps?: number | Array<{ weight: number; bakeSeconds: number }>;
  weight?: number;
  previousWeight?: number;
  weightBefore?: number;
  error?: { Error?: string };
}

export function eventSummary(detailType: string, detail: Detail): string {
  const target = detail.target;
  const name = target ? safe(() => targetLabel(target)) : 'a target';
  const side = (id: string | undefined) => (target && id !== undefined ? sideLabel(target, id) : (id ?? '?'));
  const canary = side(detail.canary);
  const baseline = side(detail.baseline);
  switch (detailType) {
    case 'Canary Started': {
      const steps = Array.isArray(detail.steps)
        ? detail.steps.map((s) => `${s.weight}% for ${Math.round(s.bakeSeconds / 60)} min`).join(', ')
        : '';
      return clean(`${name}: rollout of ${canary} started (baseline ${baseline}; ${steps || 'all at once'})`);
    }
    case 'Canary Weight Changed':
      return clean(
        `${name}: ${detail.weight}% of traffic on ${canary} (step ${detail.step}/${detail.steps}, was ${detail.previousWeight}%)`,
      );
    case 'Canary Promoted':
      return clean(`${name}: ${canary} promoted, all traffic on it. ${detail.reason ?? ''}`);
    case 'Canary Rolled Back':
      return clean(
        `${name}: ${canary} ROLLED BACK to ${baseline}, which has all traffic again (the canary had ${detail.weightBefore}%). ${detail.reason ?? ''}`,
      );
    case 'Canary Rollback Failed':
      return clean(
        `${name}: ROLLBACK FAILED, traffic may still be split (${detail.weight}% on ${canary}). ${detail.error?.Error ?? ''}`,
      );
    case 'Canary Recovery Failed':
      return clean(`${name}: RECOVERY FAILED, traffic may still be split. ${detail.reason ?? ''}`);
    case 'Canary Traffic Conflict':
      return clean(
        `${name}: TRAFFIC CONFLICT, traffic may still be split: someone else changed it and fledge stopped without overwriting it. ${detail.error?.Error ?? ''}`,
      );
    default:
      return clean(`${name}: ${detailType}. ${detail.reason ?? ''}`);
  }
}

/** Longest summary: an SNS e-mail subject is not used, but chat messages get cut around here. */
const MAX = 600;

function clean(text: string): string {
  const flat = text.replace(/"/g, "'").replace(/\\/g, '/').replace(/\s+/g, ' ').trim();
  return flat.length > MAX ? `${flat.slice(0, MAX - 1)}…` : flat;
}

function safe(label: () => string): string {
  try {
    return label();
  } catch {
    return 'a target';
  }
}
