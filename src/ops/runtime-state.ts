/** What this process is doing, for readiness: the scheduler's state and whether it is shutting down. */
export type SchedulerState = "disabled" | "starting" | "running" | "stopped";

export type RuntimeState = {
  scheduler: SchedulerState;
  /** Set on SIGTERM: the instance answers what is in flight but takes no new work. */
  stopping: boolean;
};

export function createRuntimeState(schedulerEnabled: boolean): RuntimeState {
  return { scheduler: schedulerEnabled ? "starting" : "disabled", stopping: false };
}
