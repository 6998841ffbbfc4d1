// The command line: `svdiff-studio serve` (the HTTP + WebSocket server) and
// `svdiff-studio run <workflow.json>` (one workflow, in-process, with progress bars).
import { Command, Option } from 'commander';
import { AUTH_TOKEN_ENV, bindRefusal, ConfigError, dataDirFromEnv, DEFAULTS, nodesDirFromEnv, parseDevice, resolveAuthToken } from './config.ts';
import { runWorkflowFile } from './cli-run.ts';
import type { RunningServer } from './http/server.ts';

const program = new Command();
program.name('svdiff-studio').description('Node-graph studio for spectral-shift (SVDiff) personalisation of diffusion models');

function parsePort(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`bad port "${s}"`);
  return n;
}

program
  .command('serve')
  .description('start the studio server (web UI, HTTP API, WebSocket)')
  .option('--host <host>', 'address to bind', DEFAULTS.host)
  .option('--port <port>', 'port (0: any free port)', parsePort, DEFAULTS.port)
  .option('--data-dir <dir>', 'data folder (env SVDIFF_DATA_DIR)', dataDirFromEnv())
  .option('--device <device>', 'cpu | cuda | webgpu | auto', parseDevice, DEFAULTS.device)
  .option('--auth-token <token>', `require this bearer token on every request (needed off loopback; shows in ps: prefer --auth-token-file or env ${AUTH_TOKEN_ENV})`)
  .option('--auth-token-file <path>', 'read the bearer token from this file (trimmed)')
  .option('--models-dir <dir>', 'models folder (env SVDIFF_MODELS_DIR)')
  .addOption(new Option('--nodes-dir <dir>', 'load node definitions from this folder (tests)').hideHelp())
  .action(async (o: { host: string; port: number; dataDir: string; device: ReturnType<typeof parseDevice>; authToken?: string; authTokenFile?: string; modelsDir?: string; nodesDir?: string }) => {
    let authToken: string | undefined;
    try {
      authToken = resolveAuthToken({ token: o.authToken, file: o.authTokenFile });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      console.error(`svdiff-studio: ${e.message}`);
      process.exit(2);
    }
    const refused = bindRefusal(o.host, authToken);
    if (refused) {
      console.error(`svdiff-studio: ${refused}`);
      process.exit(2);
    }
    // Signals first: a stop that arrives while starting still closes cleanly.
    let server: RunningServer | undefined;
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      if (!server) return; // startup finishes, then closes
      server.close().then(() => process.exit(0), () => process.exit(1));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const { createServer } = await import('./http/server.ts');
    server = await createServer({
      host: o.host,
      port: o.port,
      dataDir: o.dataDir,
      device: o.device,
      authToken,
      modelsDir: o.modelsDir,
      nodesDir: o.nodesDir ?? nodesDirFromEnv(),
    });
    if (stopping) {
      await server.close();
      process.exit(0);
    }
    console.log(`SVDiff Studio listening on ${server.url}`);
  });

program
  .command('run')
  .description('run a workflow (UI or API format) once, without the server')
  .argument('<workflow>', 'workflow JSON file')
  .option('--data-dir <dir>', 'data folder (env SVDIFF_DATA_DIR)', dataDirFromEnv())
  .option('--out <dir>', 'copy output images here')
  .option('--device <device>', 'cpu | cuda | webgpu | auto', parseDevice, DEFAULTS.device)
  .option('--models-dir <dir>', 'models folder (env SVDIFF_MODELS_DIR)')
  .addOption(new Option('--nodes-dir <dir>', 'load node definitions from this folder (tests)').hideHelp())
  .action(async (file: string, o: { dataDir: string; out?: string; device: ReturnType<typeof parseDevice>; modelsDir?: string; nodesDir?: string }) => {
    const code = await runWorkflowFile(file, { ...o, nodesDir: o.nodesDir ?? nodesDirFromEnv() });
    process.exit(code);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`svdiff-studio: ${(e as Error).message ?? e}`);
  process.exit(1);
});
