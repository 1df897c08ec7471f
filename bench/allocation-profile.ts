// What a running service allocates, garbage included: attaches to its inspector, runs V8's
// sampling heap profiler for a while (objects the collector already freed are kept in the
// sample) and sums the bytes by package or project folder, by the nearest project function on
// the stack, and by the allocating function; a frame of the bundle the service runs is read as the
// source it came from, through the bundle's source map. With --survivors, only what outlived the young
// generation (promoted to the old one, where only a full collection frees it): what makes the
// full collections come.
//   npm run bench -- burst --node-args=--inspect=127.0.0.1:9339 &   (then, while it runs:)
//   node bench/allocation-profile.ts 9339 15 [--top N] [--survivors]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** A Chrome DevTools Protocol session over the inspector's WebSocket. */
async function connect(port: string): Promise<{
  send: (method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>;
  close: () => void;
}> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error(`no inspector target on port ${port}`);
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  let next = 0;
  const waiting = new Map<number, (result: Record<string, unknown>) => void>();
  socket.addEventListener('message', (message: MessageEvent) => {
    const data = JSON.parse(String(message.data)) as { id?: number; result?: Record<string, unknown> };
    if (data.id !== undefined) waiting.get(data.id)?.(data.result ?? {});
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve) => {
        const id = ++next;
        waiting.set(id, resolve);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

const sourceMaps = new Map<string, SourceMap | undefined>();

/**
 * Where a frame's code was written: through the file's source map when it has one (the bundle the
 * service runs, dist/bundle/*.js.map), so frames read as src/… and node_modules/… and not as
 * places in one minified file; as the frame says otherwise.
 */
function source(frame: SamplingNode['callFrame']): { url: string; line: number } {
  const { url, lineNumber, columnNumber } = frame;
  if (!url.startsWith('file://')) return { url, line: lineNumber };
  let map = sourceMaps.get(url);
  if (!sourceMaps.has(url)) {
    const file = `${fileURLToPath(url)}.map`;
    map = existsSync(file)
      ? new SourceMap(JSON.parse(readFileSync(file, 'utf8')) as SourceMapPayload)
      : undefined;
    sourceMaps.set(url, map);
  }
  const entry = map?.findEntry(lineNumber, columnNumber);
  return entry !== undefined && 'originalSource' in entry
    ? { url: entry.originalSource, line: entry.originalLine }
    : { url, line: lineNumber };
}

function place(url: string, line: number): string {
  return `${url.replace(/^.*\/(node_modules|src|sandbox|bench)\//, '$1/')}:${line + 1}`;
}

function areaOf(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) return pkg;
  const own = /\/src\/([^/]+)\//.exec(url)?.[1];
  if (own !== undefined) return `src/${own}`;
  return url.startsWith('node:') ? 'node internals' : url === '' ? '(native)' : url;
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string' },
      survivors: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(
      'Usage: npm run bench:allocations -- [port] [seconds] [--top N] [--survivors]\n\n' +
        "Attaches to a running service's inspector on 127.0.0.1:<port> (default 9229), samples what it\n" +
        'allocates for <seconds> (default 15), garbage included, and prints the N largest (default 20) by\n' +
        'area, by the nearest project function on the stack and by allocating function. With --survivors,\n' +
        'only what outlived the young generation. Start the service with an inspector first, e.g.\n' +
        '  npm run bench -- burst --node-args=--inspect=127.0.0.1:9339 &\n' +
        '  npm run bench:allocations -- 9339 15',
    );
    process.exit(0);
  }
  const survivors = values.survivors === true;
  const [port = '9229', seconds = '15'] = positionals;
  const top = Number(values.top ?? 20);
  const session = await connect(port);
  await session.send('HeapProfiler.enable');
  await session.send('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !survivors,
  });
  await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
  const { profile } = (await session.send('HeapProfiler.stopSampling')) as {
    profile: { head: SamplingNode };
  };
  session.close();

  const byArea = new Map<string, number>();
  const byProjectFrame = new Map<string, number>();
  const bySelf = new Map<string, number>();
  let total = 0;
  const add = (map: Map<string, number>, key: string, bytes: number) =>
    map.set(key, (map.get(key) ?? 0) + bytes);
  const walk = (node: SamplingNode, nearestOwn: string | undefined) => {
    const { functionName } = node.callFrame;
    const { url, line } = source(node.callFrame);
    const key = `${functionName || '(anonymous)'} ${place(url, line)}`;
    const own = /\/src\//.test(url) ? key : nearestOwn;
    total += node.selfSize;
    add(byArea, areaOf(url), node.selfSize);
    add(bySelf, key, node.selfSize);
    if (own !== undefined) add(byProjectFrame, own, node.selfSize);
    for (const child of node.children) walk(child, own);
  };
  walk(profile.head, undefined);
  const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1).padStart(8)} MB`;
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [key, bytes] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`${mb(bytes)}  ${key}`);
  };
  console.log(
    survivors
      ? `allocated in ${seconds} s and promoted to the old generation (sampled): ${mb(total)}`
      : `allocated in ${seconds} s (sampled, garbage included): ${mb(total)}`,
  );
  print('By area:', byArea);
  print('By the nearest project function on the stack:', byProjectFrame);
  print('By allocating function:', bySelf);
}
