import { act, render } from "@testing-library/react";
import type { EngineEvent } from "../api";
import { createEventHub, EventsContext } from "../events";

/** Renders `ui` under an event hub the test drives; returns the way to send it an event. */
export function renderWithEvents(ui: React.ReactNode) {
  let emit: (event: EngineEvent) => void = () => {};
  const hub = createEventHub((handler) => {
    emit = handler;
    return () => {};
  });
  render(<EventsContext.Provider value={hub}>{ui}</EventsContext.Provider>);
  return (event: EngineEvent) => act(() => emit(event));
}
