/**
 * A number in [0, 1) drawn from `text`, the same in every browser, on every page and in every version: FNV-1a's
 * 32 bits. The holdout draws from the visitor's `td_client_id` (the id td-js-sdk sees too), so a visitor stays in
 * one group: `holdout` when the draw is below the share held out; an offer's own holdout draws from the id and the
 * offer's name.
 */
export function fraction(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return (hash >>> 0) / 2 ** 32;
}
