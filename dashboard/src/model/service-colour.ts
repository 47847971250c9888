/**
 * A stable colour per service name: the same service has the same colour in every view and on
 * every reload. Hues come from a hash of the name; saturation/lightness are fixed so bars stay
 * readable on the light background.
 */

/** FNV-1a 32-bit: tiny, fast, and spreads similar names (svc-1, svc-2) apart. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const cache = new Map<string, string>();

/** CSS colour for a service; cached because the timeline asks once per visible row per frame. */
export function serviceColour(service: string): string {
  let colour = cache.get(service);
  if (colour === undefined) {
    // Golden-angle stepping of the hash keeps neighbouring hashes visually distinct.
    const hue = Math.round((fnv1a(service) * 137.508) % 360);
    colour = `hsl(${hue} 62% 52%)`;
    cache.set(service, colour);
  }
  return colour;
}
