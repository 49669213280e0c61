// The kernel's run data for the runs sheets: fetched when a sheet opens and again whenever
// the training state changes (a run started, stopped or finished here or elsewhere).
import { useEffect, useState } from "react";
import type { StudioState } from "../../state/store";
import { useStudio, useStudioContext } from "../context";
import { anyTraining, type RunDetail, type RunSummary } from "./format";

/** While a listed run trains, its numbers are refreshed this often. */
const LIVE_REFRESH_MS = 5000;

/** Changes when a run starts, ends or changes hands: the moment to read the runs again. */
const trainingKey = (s: StudioState) =>
  `${s.doc.design_id}|${s.metrics?.run_id}|${s.metrics?.state}|${s.metrics?.status}|${s.status.state}`;

export interface Loaded<T> {
  data: T | null;
  /** The fetch failed (the controller has toasted why). */
  failed: boolean;
  reload: () => void;
}

function useKernelData<T>(
  open: boolean,
  fetch: () => Promise<T | undefined>,
  deps: unknown[],
  live: (d: T) => boolean,
): Loaded<T> {
  const key = useStudio(trainingKey);
  const [data, setData] = useState<T | null>(null);
  const [failed, setFailed] = useState(false);
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refetch when the training state (key), a reload (tick) or the caller's deps change; fetch is a new closure each render
  useEffect(() => {
    if (!open) return;
    let current = true;
    void fetch().then((d) => {
      if (!current) return;
      setFailed(d === undefined);
      if (d !== undefined) setData(d);
    });
    return () => {
      current = false;
    };
  }, [open, key, tick, ...deps]);
  const isLive = data !== null && live(data);
  useEffect(() => {
    if (!open || !isLive) return;
    const timer = setInterval(() => setTick((t) => t + 1), LIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [open, isLive]);
  return { data, failed, reload: () => setTick((t) => t + 1) };
}

/** One design's runs, newest first (`designId`: the design they are of). */
export interface RunList {
  designId: string | null;
  runs: RunSummary[];
}

/** The open design's runs, newest first, with the design they were listed for. */
export function useRunList(open: boolean): Loaded<RunList> {
  const { controller } = useStudioContext();
  return useKernelData(
    open,
    async () => {
      // The design asked for travels with its runs: the list may arrive after another
      // design opened.
      const designId = controller.store.getState().doc.design_id ?? null;
      const args = designId ? { design_id: designId } : {};
      const reply = await controller.command<{ runs: RunSummary[] }>("list_runs", args);
      return reply && { designId, runs: reply.runs };
    },
    [],
    (list) => anyTraining(list.runs),
  );
}

/** One run with its full curve. */
export function useRunDetail(open: boolean, runId: string | null): Loaded<RunDetail> {
  const { controller } = useStudioContext();
  return useKernelData(
    open && runId !== null,
    async () =>
      runId ? await controller.command<RunDetail>("get_run", { run_id: runId }) : undefined,
    [runId],
    (d) => d.run.status === "training",
  );
}
