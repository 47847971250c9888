/**
 * A stable colour per service name: the same service has the same colour in every view and on
 * every reload. Hues come from a hash of the name; saturation/lightness are fixed so bars stay
 * readable on the light background. Reds are left out: the dashboard draws errors red (error
 * spans, edges and rates), and a service whose own colour is red reads as failing.
 */

/**
 * A 32-bit string hash with two multiply lanes per character and a mixing finish (the upper half
 * of cyrb53, a public-domain hash). Short, similar names land far apart; FNV-1a, used before,
 * put gateway, rates and id-generator within a few degrees of one green.
 */
function hashName(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return h2 >>> 0;
}

/** Service hues run from orange to magenta: the red band around hue 0 (±25°) is the errors' colour. */
export const FIRST_HUE = 25;
export const LAST_HUE = 335;

const cache = new Map<string, string>();

/** CSS colour for a service; cached because the timeline asks once per visible row per frame. */
export function serviceColour(service: string): string {
  let colour = cache.get(service);
  if (colour === undefined) {
    const hue = Math.round(FIRST_HUE + (hashName(service) / 2 ** 32) * (LAST_HUE - FIRST_HUE));
    colour = `hsl(${hue} 62% 52%)`;
    cache.set(service, colour);
  }
  return colour;
}
