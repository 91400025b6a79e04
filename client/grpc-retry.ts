/**
 * The client's gRPC retry: the SDK's `makeGrpcRetryInterceptor` (same rules, same hand-over of the answer), except that
 * a call never sleeps past its deadline and a cancelled call (the client's abort signal cancels it) ends at once, even
 * between attempts. The SDK's interceptor does neither, so while Temporal cannot be reached a call whose caller gave
 * up lasted until the server was back.
 */
import { ListenerBuilder, Metadata, RequesterBuilder, status as Code, InterceptingCall, type Deadline, type Interceptor, type StatusObject } from '@grpc/grpc-js';
import type { GrpcRetryOptions } from '@temporalio/client';

/** After an attempt: try again in `retryInMs`, or end the call with `end`. */
export type NextStep = { retryInMs: number } | { end: StatusObject };

/** The moment of a gRPC deadline in epoch ms (Infinity for none). */
export function deadlineMs(deadline: Deadline | undefined): number {
  if (deadline === undefined) return Infinity;
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/**
 * What follows an attempt that ended with `last`: the SDK's rules decide whether and when to try again; an attempt that
 * would start at or after the deadline is not made, and the call ends now with DEADLINE_EXCEEDED naming the last status.
 */
export function afterAttempt(rules: GrpcRetryOptions, attempt: number, last: StatusObject, deadline: number, now: number): NextStep {
  if (!rules.retryableDecider(attempt, last)) return { end: last };
  const delay = rules.delayFunction(attempt, last);
  if (now + delay >= deadline) return { end: ended(Code.DEADLINE_EXCEEDED, 'Deadline exceeded while retrying', last) };
  return { retryInMs: delay };
}

function ended(code: Code, why: string, last: StatusObject): StatusObject {
  return { code, details: `${why} (last attempt: ${Code[last.code]}: ${last.details})`, metadata: last.metadata ?? new Metadata() };
}

/** A retry interceptor with the SDK's behaviour plus the deadline and the cancellation above. */
export function makeRetryInterceptor(rules: GrpcRetryOptions, clock: () => number = Date.now): Interceptor {
  return (options, nextCall) => {
    const deadline = deadlineMs(options.deadline);
    let savedSendMessage: unknown;
    let savedReceiveMessage: unknown;
    let savedMessageNext: ((message: unknown) => void) | undefined;
    let firstEnded = false;
    let done = false;
    let last: StatusObject | undefined;
    let sleeping: ReturnType<typeof setTimeout> | undefined;
    let retrying: ReturnType<Parameters<Interceptor>[1]> | undefined;
    let end: (status: StatusObject) => void = () => {};
    const requester = new RequesterBuilder()
      .withStart((metadata, _listener, next) => {
        let attempt = 1;
        const listener = new ListenerBuilder()
          .withOnReceiveMessage((message, next) => {
            savedReceiveMessage = message;
            savedMessageNext = next;
          })
          .withOnReceiveStatus((status, next) => {
            if (firstEnded) return;
            firstEnded = true;
            end = (final) => {
              if (done) return;
              done = true;
              if (sleeping !== undefined) clearTimeout(sleeping);
              sleeping = undefined;
              savedMessageNext?.(savedReceiveMessage);
              next(final);
            };
            const retry = () => {
              sleeping = undefined;
              attempt++;
              try {
                const call = nextCall(options);
                retrying = call;
                call.start(metadata, {
                  onReceiveMessage(message) {
                    savedReceiveMessage = message;
                  },
                  onReceiveStatus,
                });
                call.sendMessage(savedSendMessage);
                call.halfClose();
              } catch (err) {
                // The connection was closed while the call slept: end it rather than throw from a timer.
                end(ended(Code.UNAVAILABLE, `the connection is closed: ${(err as Error).message}`, last ?? status));
              }
            };
            const onReceiveStatus = (status: StatusObject) => {
              retrying = undefined;
              if (done) return;
              last = status;
              const step = afterAttempt(rules, attempt, status, deadline, clock());
              if ('end' in step) end(step.end);
              else sleeping = setTimeout(retry, step.retryInMs);
            };
            onReceiveStatus(status);
          })
          .build();
        next(metadata, listener);
      })
      .withSendMessage((message, next) => {
        savedSendMessage = message;
        next(message);
      })
      .withCancel((next) => {
        // The first attempt is the wrapped call; later ones are ours; between attempts nothing is in flight.
        if (!firstEnded) next();
        else if (retrying) retrying.cancelWithStatus(Code.CANCELLED, 'Cancelled on client');
        else if (sleeping !== undefined && last) end(ended(Code.CANCELLED, 'Cancelled on client while waiting to retry', last));
      })
      .build();
    return new InterceptingCall(nextCall(options), requester);
  };
}
