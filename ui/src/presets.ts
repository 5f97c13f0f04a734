import type { Profile, Provider, ProviderPreset } from "./bindings";

export type { ProviderPreset };

/** The preset of `provider` among the engine's presets (the last, "other", if missing). */
export function presetOf(presets: ProviderPreset[], provider: Provider): ProviderPreset {
  return presets.find((p) => p.provider === provider) ?? presets[presets.length - 1];
}

/** Where a profile's requests go, in words. */
export function whereItLives(profile: Profile): string {
  if (profile.provider === "local") return "on this computer";
  return profile.endpoint ?? `AWS · ${profile.region}`;
}
