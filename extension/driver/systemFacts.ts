import type { SessionFacts } from '../shared/driverProtocol';

/** What the driver can say about the interactive session and keep the machine awake with (per platform). */
export interface SystemFacts {
  session(): SessionFacts;
  keepAwake(on: boolean): { ok: boolean; detail: string };
}

/** X11 has no lock state or wake lock the driver can reach portably: it says so rather than guess. */
export const otherSystemFacts: SystemFacts = {
  session: () => ({ state: 'unknown', detail: `${process.platform}: no session lock state to query from the driver`, remote: null, monitors: [] }),
  keepAwake: () => ({ ok: false, detail: `${process.platform}: not done by the driver (keep the machine awake with the desktop's own settings)` }),
};
