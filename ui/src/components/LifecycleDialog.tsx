import { useEffect, useState, type FormEvent } from "react";
import { errorOf, type ApiError, type ArchiveApi, type LifecycleRule, type LifecycleRules } from "../api";
import type { StorageClassOffer } from "../bindings";
import { ErrorNote } from "./ErrorNote";

const NEW_RULE: LifecycleRule = {
  id: "",
  managed: true,
  enabled: true,
  prefix: "",
  transition_days: null,
  transition_class: null,
  expire_incomplete_uploads_days: 7,
  expire_noncurrent_days: null,
};

/** A day count field: empty means "not set". */
function Days({ label, value, onChange }: { label: string; value: number | null; onChange(days: number | null): void }) {
  return (
    <label>
      {label}
      <input
        type="number"
        min={0}
        value={value ?? ""}
        onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))}
      />
    </label>
  );
}

/** A bucket's lifecycle rules: Strata's are edited here; every other rule is shown and kept. */
export function LifecycleDialog({ api, bucket, onClose }: { api: ArchiveApi; bucket: string; onClose(): void }) {
  const [loaded, setLoaded] = useState<LifecycleRules | null>(null);
  const [mine, setMine] = useState<LifecycleRule[]>([]);
  const [classes, setClasses] = useState<StorageClassOffer[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const show = (rules: LifecycleRules) => {
    setLoaded(rules);
    setMine(rules.rules.filter((r) => r.managed));
  };
  useEffect(() => {
    api.lifecycleGet(bucket).then(show, (thrown) => setError(errorOf(thrown)));
    api.archiveChoices(bucket.split(":")[0]).then((c) => setClasses(c.classes), () => setClasses([]));
  }, [api, bucket]);
  const change = (i: number, patch: Partial<LifecycleRule>) =>
    setMine((rules) => rules.map((rule, j) => (j === i ? { ...rule, ...patch } : rule)));
  async function save(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      show(await api.lifecycleSet(bucket, mine));
      setSaved(true);
    } catch (thrown) {
      setError(errorOf(thrown));
    }
  }
  const others = loaded?.rules.filter((r) => !r.managed) ?? [];
  return (
    <div className="overlay">
      <form className="dialog form lifecycle" role="dialog" aria-label={`Lifecycle rules of ${bucket}`} onSubmit={save}>
        <h3>Lifecycle rules of {bucket}</h3>
        {error && <ErrorNote error={error} />}
        {saved && !error && <p className="notice">Saved; the server now holds the rules below.</p>}
        {!loaded && !error && <p>Reading the rules…</p>}
        {others.length > 0 && (
          <>
            <h4>Other rules (kept as they are)</h4>
            <ul className="lifecycle-others">
              {others.map((rule) => (
                <li key={rule.id}>
                  <code>{rule.id || "(no id)"}</code> {rule.summary}
                </li>
              ))}
            </ul>
          </>
        )}
        <h4>Strata's rules</h4>
        {loaded && mine.length === 0 && <p className="empty-list">None yet.</p>}
        {mine.map((rule, i) => (
          <fieldset key={i} aria-label={`Rule ${i + 1}`}>
            <legend>{rule.id || "New rule"}</legend>
            <label>
              Prefix (empty: the whole bucket)
              <input value={rule.prefix ?? ""} onChange={(e) => change(i, { prefix: e.target.value })} />
            </label>
            <label>
              Move to class
              <select
                value={rule.transition_class ?? ""}
                onChange={(e) =>
                  change(i, {
                    transition_class: e.target.value || null,
                    transition_days: e.target.value ? (rule.transition_days ?? 30) : null,
                  })
                }
              >
                <option value="">Do not move</option>
                {classes.map((c) => (
                  <option key={c.class} value={c.class}>
                    {c.label}
                  </option>
                ))}
              </select>
            </label>
            <Days label="after (days)" value={rule.transition_days} onChange={(d) => change(i, { transition_days: d })} />
            <Days
              label="Abort unfinished uploads after (days)"
              value={rule.expire_incomplete_uploads_days}
              onChange={(d) => change(i, { expire_incomplete_uploads_days: d })}
            />
            <Days
              label="Delete old versions after (days)"
              value={rule.expire_noncurrent_days}
              onChange={(d) => change(i, { expire_noncurrent_days: d })}
            />
            <label>
              <input type="checkbox" checked={rule.enabled ?? true} onChange={(e) => change(i, { enabled: e.target.checked })} />
              Enabled
            </label>
            <button type="button" className="button-danger" onClick={() => setMine((rules) => rules.filter((_, j) => j !== i))}>
              Remove rule
            </button>
          </fieldset>
        ))}
        <div className="actions">
          <button type="button" onClick={() => setMine((rules) => [...rules, { ...NEW_RULE }])} disabled={!loaded}>
            Add rule
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
          <button type="submit" className="button-primary" disabled={!loaded}>
            Save
          </button>
        </div>
      </form>
    </div>
  );
}
