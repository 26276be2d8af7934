// The status patch is how a harness knows a step has finished rendering without reading the screen for
// text: a 32×32 square at the client's top-left whose colour encodes the step and how many times it has
// completed. While the viewer is busy the patch is magenta. The same table is used by the scripted
// workflows to wait for "rendered" (the stand-in's first_pixel).

export const STATUS_PATCH = { x: 0, y: 0, width: 32, height: 32 } as const;
export const BUSY_RGB: [number, number, number] = [255, 0, 255];

export const STEP_CODES = { open: 10, inline: 20, attribute: 30, horizon: 40, export: 50, select: 60 } as const;
export type ViewerStep = keyof typeof STEP_CODES;

/** Colour for "step done, n-th time": red = step code, green/blue = count (mod 65536). */
export function statusRgb(step: ViewerStep, count: number): [number, number, number] {
  return [STEP_CODES[step], count & 0xff, (count >> 8) & 0xff];
}
