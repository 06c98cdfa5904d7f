// `npm start`: read the configuration, start Cohort, print the login URL, stop cleanly on signals.
import { ADMIN_TOKEN_ENV, loadConfig } from './loadConfig.ts';
import { SandboxUnavailableError } from './kernels/sandboxSettings.ts';
import { createLogger } from './log.ts';
import { startCohort } from './server.ts';
import { loginLink } from './http/publicUrl.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`cohort: ${(err as Error).message}`);
    process.exit(2);
  }
  // Read once; no process started from here (kernels included) inherits the admin's token.
  delete process.env[ADMIN_TOKEN_ENV];
  const log = createLogger(config.logLevel);
  let server;
  try {
    server = await startCohort(config, log);
  } catch (err) {
    // Not a crash but a decision the operator has to make: said plainly, without a stack.
    if (err instanceof SandboxUnavailableError) {
      console.error(`cohort: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  // The login URL holds the admin's token: it goes to the terminal only, as Jupyter does, never
  // into the JSON log (which is shipped and kept: journald, log collectors).
  if (server.adminToken) {
    const login = loginLink(config.publicUrl ?? server.url, server.adminToken);
    log.info('admin login URL printed to the terminal');
    console.log(`\n    Cohort is running. Sign in as admin:\n\n        ${login}\n`);
  } else {
    console.log(
      `\n    Cohort is running at ${config.publicUrl ?? server.url} (admin exists; set ${ADMIN_TOKEN_ENV} or --admin-token-file to set its token).\n`,
    );
  }
  // Also on the terminal, not only in the JSON log: whoever started it must not miss this.
  if (server.kernelSandbox === 'none') {
    console.error(
      '\n    WARNING: --kernel-sandbox none: kernels are NOT isolated. Every user\'s code runs as this server\'s user and can\n' +
        '    read the server\'s data (all notebooks, private outputs) and reach other users\' kernels.\n',
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'signal received');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('cohort failed to start:', err);
  process.exit(1);
});
