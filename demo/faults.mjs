// Fault injection: makes the emulator fail on purpose so the tag's retry, timeout and error paths can
// be tested against a real HTTP exchange instead of a mocked fetch. Documented in demo/README.md.

const CHECKS = {
  status: (v) => Number.isInteger(v) && v >= 200 && v <= 599,
  code: (v) => Number.isInteger(v),
  message: (v) => typeof v === 'string',
  body: (v) => typeof v === 'string',
  delayMs: (v) => typeof v === 'number' && v >= 0,
  drop: (v) => typeof v === 'boolean',
  hang: (v) => typeof v === 'boolean',
  retryAfter: (v) => (typeof v === 'number' && v >= 0) || typeof v === 'string',
  times: (v) => Number.isInteger(v) && v > 0,
  forMs: (v) => typeof v === 'number' && v > 0,
  path: (v) => typeof v === 'string' && v.startsWith('/'),
};

/**
 * Validates a fault description and returns a copy. Unknown keys are refused: a misspelt
 * `retryafter` silently doing nothing would make a test pass for the wrong reason.
 */
export function normalizeFault(input) {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('a fault must be a JSON object');
  for (const [key, value] of Object.entries(input)) {
    if (!CHECKS[key]) throw new Error(`unknown fault key "${key}" (known: ${Object.keys(CHECKS).join(', ')})`);
    if (!CHECKS[key](value)) throw new Error(`fault key "${key}" has an invalid value ${JSON.stringify(value)}`);
  }
  if (input.status === undefined && !input.drop && !input.hang && !input.delayMs) {
    throw new Error('a fault needs at least one of status, drop, hang or delayMs');
  }
  return { ...input };
}

/**
 * Faults set through the control API. Each one applies to the next `times` API requests, or to all of
 * them for `forMs` ms, or (neither given) until cleared; both given, whichever runs out first.
 * `path` limits a fault to one request path.
 */
export function createFaultStore(now = Date.now) {
  let faults = [];

  function active(fault) {
    return (fault.times === undefined || fault.used < fault.times) && (fault.until === undefined || now() < fault.until);
  }

  return {
    add(input) {
      const fault = normalizeFault(input);
      faults.push({ ...fault, used: 0, until: fault.forMs === undefined ? undefined : now() + fault.forMs });
      return fault;
    },
    clear() {
      faults = [];
    },
    /** The fault for this request, counted as used; the oldest active fault applies first. */
    take(path) {
      faults = faults.filter(active);
      const fault = faults.find((f) => f.path === undefined || f.path === path);
      if (!fault) return null;
      fault.used += 1;
      const { used, until, ...description } = fault;
      // how long this fault still lasts: a hung request is cut off then
      return until === undefined ? description : { ...description, endsInMs: until - now() };
    },
    list() {
      faults = faults.filter(active);
      return faults.map(({ until, ...f }) => ({ ...f, remainingMs: until === undefined ? undefined : until - now() }));
    },
  };
}
