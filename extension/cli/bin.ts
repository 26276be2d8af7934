import { runCli } from './main';

// The process entry: wires the real world (stdio, cwd, env, Ctrl-C) into runCli and sets the exit code.
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  controller.abort();
});
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

runCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
  cwd: process.cwd(),
  env: process.env,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = controller.signal.aborted && code === 0 ? 130 : code;
  },
  (e: unknown) => {
    process.stderr.write(`fastbench: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
