/** How a person names a rollout target in a message, a metric dimension or a report title. Pure. */
import { kindOf } from '../targets/kinds';
import type { Target } from './schema';

/** `checkout:live` for a Lambda alias; `media.example.com A (Z123)` for a Route 53 weighted pair. */
export function targetLabel(target: Target): string {
  return kindOf(target).label(target);
}

/** How a person names one side of a target: a Lambda version, or a weighted record's SetIdentifier. */
export function sideLabel(target: Target, id: string): string {
  return kindOf(target).sideLabel(id);
}
