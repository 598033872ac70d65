/** The checker's tuning constants, each with the reason for its value. */

/** Reading the clock on every search step would cost more than the step itself; 1024 steps take well under a millisecond. */
export const CLOCK_EVERY_STEPS = 1024;

/** A report longer than a screen stops being read; beyond this many operations it shows the tail nearest the failure. */
export const MAX_SHOWN_OPS = 40;

/** Likewise for the steps of the longest linearizable prefix; the last ones are those that reach the blocked state. */
export const MAX_SHOWN_PREFIX_STEPS = 20;

/** Lists of operation ids in prose get cut here. */
export const MAX_LISTED_IDS = 12;

/** The latest real-time predecessors of a blocked operation are the ones that matter; older ones are counted, not named. */
export const MAX_PREDECESSORS = 4;

/** A partition label naming the keys a range joined stays one line long. */
export const LABEL_MAX_KEYS = 6;
