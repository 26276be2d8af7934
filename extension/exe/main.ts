import { ROLE_FLAGS } from '../core/runtime/selfExe';

// fastbench.exe's one entry (a Node single-executable application holds one script): the CLI, or — when the
// first argument is a role flag — the driver or the metrics agent, which the CLI starts as children of the same
// exe (core/runtime/selfExe.ts). Each role's module starts its program when it is loaded, so only one is loaded.
// The role flag is taken out of process.argv because the roles parse process.argv.slice(2) as their own.

const first = process.argv[2];
if (first === ROLE_FLAGS.driver) {
  process.argv.splice(2, 1);
  require('../driver/main');
} else if (first === ROLE_FLAGS.agent) {
  process.argv.splice(2, 1);
  require('../agent/main');
} else {
  require('../cli/bin');
}
