/**
 * Probes a gateway's /healthz one request at a time, 10 ms apart, until stopped: what each took
 * in ms (a probe that was not answered 200 counts as infinite). For tests that take the database
 * away and check that the process keeps answering.
 */
export function probeHealthz(base: string): { readonly times: number[]; stop(): Promise<number[]> } {
  const times: number[] = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const started = performance.now();
      const res = await fetch(`${base}/healthz`);
      await res.text();
      times.push(res.status === 200 ? performance.now() - started : Number.POSITIVE_INFINITY);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    times,
    async stop() {
      probing = false;
      await prober;
      return times;
    },
  };
}
