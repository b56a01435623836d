// Time comes from here, never from `new Date()` in domain code, so tests and the sandbox can move it.
export interface Clock {
  now(): Date;
  readonly kind: 'system' | 'manual';
}

export class SystemClock implements Clock {
  readonly kind = 'system' as const;
  now(): Date {
    return new Date();
  }
}

/** Stands still until moved. The server persists it (see kernel/scheduler advanceClock) so restarts keep it. */
export class ManualClock implements Clock {
  readonly kind = 'manual' as const;
  private current: number;
  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date): void {
    this.current = at.getTime();
  }
  advance(ms: number): Date {
    this.current += ms;
    return this.now();
  }
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function addHours(at: Date, hours: number): Date {
  return new Date(at.getTime() + hours * HOUR);
}
