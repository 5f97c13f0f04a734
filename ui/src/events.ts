// One subscription to the engine's event stream for the whole app. It is made once, when the
// app starts and before any job is, so no job's end can slip past a view that subscribes
// late; views register handlers synchronously and keep them current without re-subscribing.
import { createContext, useContext, useEffect, useRef } from "react";
import type { ApiError, EngineEvent } from "./api";

type Handler = (event: EngineEvent) => void;

/** A job's end, from its state event: the error is null when it finished well. `null` while
 * it is still queued or running, or paused (it can be resumed). */
export function jobEnd(event: EngineEvent): { job: number; error: ApiError | null } | null {
  if (event.kind !== "job_state" || !["done", "failed", "cancelled"].includes(event.state)) return null;
  return { job: event.job, error: event.error };
}

export interface EventHub {
  subscribe(handler: Handler): () => void;
}

/** Starts listening through `listen` and fans every event out to the current handlers. */
export function createEventHub(listen: (handler: Handler) => () => void): EventHub & { stop(): void } {
  const handlers = new Set<Handler>();
  const stop = listen((event) => {
    for (const handler of [...handlers]) handler(event);
  });
  return {
    subscribe(handler) {
      handlers.add(handler);
      return () => void handlers.delete(handler);
    },
    stop,
  };
}

export const EventsContext = createContext<EventHub | null>(null);

/** Calls the latest `handler` with every engine event while the component is mounted. */
export function useEngineEvents(handler: Handler) {
  const hub = useContext(EventsContext);
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => hub?.subscribe((event) => latest.current(event)), [hub]);
}
