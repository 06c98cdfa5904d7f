// A CPU profile of this process over one window (the burst), through the inspector, so the
// profile shows the measured part and not server start-up or kernel warm-up.
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

export interface ProfileWindow {
  /** Stops profiling, writes the .cpuprofile (open it in Chrome DevTools) and returns the top self times. */
  stop(): Promise<Array<{ fn: string; ms: number }>>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export async function profileWindow(file: string): Promise<ProfileWindow> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      const byNode = new Map<number, number>();
      profile.samples.forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
      const self = new Map<string, number>();
      for (const node of profile.nodes) {
        const { functionName, url, lineNumber } = node.callFrame;
        const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
        self.set(key, (self.get(key) ?? 0) + (byNode.get(node.id) ?? 0) / 1000);
      }
      return [...self].map(([fn, ms]) => ({ fn, ms })).sort((a, b) => b.ms - a.ms).slice(0, 15);
    },
  };
}
