// Pool states: open, closing (draining borrowed resources), destroyed.
export const OPEN = 0;
export const CLOSING = 1;
export const DESTROYED = 2;
