import type { Profile, Provider } from "./bindings";

export interface Preset {
  provider: Provider;
  label: string;
  endpointPlaceholder: string;
  endpointRequired: boolean;
  region: string;
  pathStyle: boolean;
  needsAccountId: boolean;
}

// What each provider usually needs; the user can change every field.
export const PRESETS: Preset[] = [
  { provider: "aws", label: "Amazon S3", endpointPlaceholder: "leave empty for AWS", endpointRequired: false, region: "us-east-1", pathStyle: false, needsAccountId: false },
  { provider: "r2", label: "Cloudflare R2", endpointPlaceholder: "derived from the account id", endpointRequired: false, region: "auto", pathStyle: false, needsAccountId: true },
  { provider: "minio", label: "MinIO", endpointPlaceholder: "http://127.0.0.1:9000", endpointRequired: true, region: "us-east-1", pathStyle: true, needsAccountId: false },
  { provider: "seaweedfs", label: "SeaweedFS", endpointPlaceholder: "http://127.0.0.1:8333", endpointRequired: true, region: "us-east-1", pathStyle: true, needsAccountId: false },
  { provider: "other", label: "Other S3-compatible", endpointPlaceholder: "https://s3.example.com", endpointRequired: true, region: "us-east-1", pathStyle: true, needsAccountId: false },
];

/** The built-in endpoint: shown, never chosen in the form (Strata makes its one profile). */
const LOCAL: Preset = { provider: "local", label: "Built-in (this computer)", endpointPlaceholder: "", endpointRequired: false, region: "us-east-1", pathStyle: true, needsAccountId: false };

export function presetOf(provider: Provider): Preset {
  if (provider === "local") return LOCAL;
  return PRESETS.find((p) => p.provider === provider) ?? PRESETS[PRESETS.length - 1];
}

/** Where a profile's requests go, in words. */
export function whereItLives(profile: Profile): string {
  if (profile.provider === "local") return "on this computer";
  return profile.endpoint ?? `AWS · ${profile.region}`;
}
