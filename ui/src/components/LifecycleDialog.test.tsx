import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { memoryArchive } from "../testing/memoryArchive";
import { LifecycleDialog } from "./LifecycleDialog";

const foreign = {
  id: "logs-expire",
  managed: false,
  enabled: true,
  prefix: "logs/",
  transition_days: null,
  transition_class: null,
  expire_incomplete_uploads_days: null,
  expire_noncurrent_days: null,
  summary: "Under logs/: expires current objects",
};

describe("LifecycleDialog", () => {
  it("shows other rules as kept, and writes Strata's rule as edited", async () => {
    const user = userEvent.setup();
    const api = memoryArchive([], [foreign]);
    render(<LifecycleDialog api={api} bucket="local:photos" onClose={() => {}} />);
    expect(await screen.findByText("Under logs/: expires current objects")).toBeTruthy();
    expect(screen.getByText("None yet.")).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Add rule" }));
    const rule = screen.getByRole("group", { name: "Rule 1" });
    await user.type(within(rule).getByLabelText("Prefix (empty: the whole bucket)"), "clients/");
    await user.selectOptions(within(rule).getByLabelText("Move to class"), "GLACIER");
    expect((within(rule).getByLabelText("after (days)") as HTMLInputElement).value).toBe("30");
    await user.click(screen.getByRole("button", { name: "Save" }));

    expect(api.calls.rulesSet).toEqual([
      [
        {
          id: "",
          managed: true,
          enabled: true,
          prefix: "clients/",
          transition_days: 30,
          transition_class: "GLACIER",
          expire_incomplete_uploads_days: 7,
          expire_noncurrent_days: null,
        },
      ],
    ]);
    expect(await screen.findByText("Saved; the server now holds the rules below.")).toBeTruthy();
    expect(screen.getByText("strata-1")).toBeTruthy();
    expect(screen.getByText("Under logs/: expires current objects")).toBeTruthy();
  });
});
