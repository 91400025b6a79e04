/**
 * When a report arrived: the moment the engine received it (stamped where it entered: portal, CLI, API), not the
 * moment a worker got round to it. The bounds below are what a workflow accepts of a stamp.
 */

/**
 * How long after its stamp a submission may reach the workflow. The client waits exactly this long for the engine
 * and then says the report was not recorded; a copy that reaches a workflow later (a worker that came back after the
 * client gave up) is refused, so that what the sender was told stays true.
 */
export const ARRIVAL_WINDOW_MS = 6_000;

/** How far ahead of the workflow's clock a stamp may be (the clocks of the client's and the server's machines differ). */
export const CLOCK_SKEW_MS = 2_000;

/** The stamp's instant, or the problem with it, for a workflow whose clock reads `now`. */
export function arrivalOf(receivedAt: string | undefined, now: number): { at: number } | { problem: 'future' | 'stale'; at: number } {
  if (receivedAt === undefined) return { at: now };
  const at = Date.parse(receivedAt);
  if (at > now + CLOCK_SKEW_MS) return { problem: 'future', at };
  if (now - at > ARRIVAL_WINDOW_MS) return { problem: 'stale', at };
  // A stamp slightly ahead of the workflow's clock counts as now: an arrival is never in the workflow's future.
  return { at: Math.min(at, now) };
}

/**
 * The instant a report's new revision is recorded with: its stamp, never before what the report already holds (its
 * last revision or decision), so that revisions stay in the order they were applied.
 */
export function revisionInstant(stampAt: number, record: { revisions: { arrivedAt: number }[]; decisions?: { at: number }[] }): number {
  const lastRevision = record.revisions.at(-1)?.arrivedAt ?? -Infinity;
  const lastDecision = record.decisions?.at(-1)?.at ?? -Infinity;
  return Math.max(stampAt, lastRevision, lastDecision);
}
