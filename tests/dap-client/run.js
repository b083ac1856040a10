// Runs the DebugClient tests with mocha for one interpreter:
//   node run.js ADAPTER PYTHON
// Exits 77 (CTest's SKIP_RETURN_CODE) with the reason when the npm packages
// are not installed (`bash setup.sh --deps` runs `npm ci` here).
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const here = __dirname;
const [adapter, python] = process.argv.slice(2);
if (!adapter || !python) {
  console.error('usage: node run.js ADAPTER PYTHON');
  process.exit(2);
}
const mocha = path.join(here, 'node_modules', 'mocha', 'bin', 'mocha.js');
const support = path.join(here, 'node_modules', '@vscode', 'debugadapter-testsupport');
if (!fs.existsSync(mocha) || !fs.existsSync(support)) {
  console.log(
    `SKIPPED: ${path.join(here, 'node_modules')} has no mocha or ` +
      '@vscode/debugadapter-testsupport: run `bash setup.sh --deps` (npm ci in tests/dap-client)'
  );
  process.exit(77);
}
const env = Object.assign({}, process.env, {
  DAPPER_TEST_ADAPTER: path.resolve(adapter),
  DAPPER_TEST_PYTHON: python,
});
const r = spawnSync(process.execPath, [mocha], { cwd: here, env, stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
