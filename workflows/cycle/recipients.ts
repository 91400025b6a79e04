/** Who receives which notice. Pure. */
import { addressList, type Plan, type Unit } from '../contract/plan.js';
import type { NoticeKind } from '../contract/notice.js';

/** The to and cc lists of a notice to or about `unit`. */
export function recipientsOf(
  plan: Plan,
  unit: Unit,
  kind: NoticeKind,
  escalateTo?: 'unitLeader' | 'headquarters',
): { to: string[]; cc: string[] } {
  const unitAddresses = addressList(unit.email);
  const leader = unit.leader ? plan.leaders.find((l) => l.id === unit.leader) : undefined;
  const leaderAddresses = leader ? addressList(leader.email) : [];
  if (kind !== 'escalation') return { to: unitAddresses, cc: [] };
  if (escalateTo === 'unitLeader') return { to: leaderAddresses, cc: unitAddresses };
  return { to: addressList(plan.headquarters.email), cc: leaderAddresses };
}
