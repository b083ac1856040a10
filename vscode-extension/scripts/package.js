#!/usr/bin/env node
// `npm run package`: stages dapper-adapter and its runtime from this
// repository's CMake build into dist/ (`cmake --install`, the same layout as
// an installed adapter: dist/bin/dapper-adapter finds its runtime in
// dist/lib/dapper-adapter/runtime) and packs the extension into a .vsix for
// this platform with @vscode/vsce.
//
//   npm run package                      builds ../build/dev (configures it with the
//                                        dev preset if needed), writes dapper-python-<version>.vsix
//   npm run package -- --out FILE.vsix   another output file
// Environment: DAPPER_BUILD_DIR (default ../build/dev); DAPPER_VSIX_NO_BUILD=1
// stages the build as it is, without running cmake --build.

'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ext = path.resolve(__dirname, '..');
const repo = path.resolve(ext, '..');
const manifest = require(path.join(ext, 'package.json'));

function fail(msg) {
  console.error(`package: ${msg}`);
  process.exit(1);
}

function sh(cmd, args, cwd) {
  console.log(`package: ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd, stdio: 'inherit' });
}

let out = path.join(ext, `${manifest.name}-${manifest.version}.vsix`);
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--out' && i + 1 < argv.length) out = path.resolve(argv[++i]);
  else fail(`unknown argument ${argv[i]} (use --out FILE.vsix)`);
}

const targets = { 'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'darwin-x64': 'darwin-x64', 'darwin-arm64': 'darwin-arm64' };
const target = targets[`${process.platform}-${process.arch}`];
if (target === undefined) fail(`no VS Code target platform for ${process.platform}-${process.arch}`);

const build = process.env.DAPPER_BUILD_DIR
  ? path.resolve(process.env.INIT_CWD || process.cwd(), process.env.DAPPER_BUILD_DIR)
  : path.join(repo, 'build', 'dev');
if (!process.env.DAPPER_VSIX_NO_BUILD) {
  if (!fs.existsSync(path.join(build, 'CMakeCache.txt'))) {
    if (process.env.DAPPER_BUILD_DIR) fail(`${build} is not a CMake build directory`);
    sh('cmake', ['--preset', 'dev'], repo);
  }
  sh('cmake', ['--build', build, '-j', '2'], repo);
} else if (!fs.existsSync(path.join(build, 'CMakeCache.txt'))) {
  fail(`${build} is not a CMake build directory (build it first: bash setup.sh)`);
}

const dist = path.join(ext, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
sh('cmake', ['--install', build, '--prefix', dist, '--strip'], repo);

const adapter = path.join(dist, 'bin', 'dapper-adapter');
const runtime = path.join(dist, 'lib', 'dapper-adapter', 'runtime');
if (!fs.existsSync(adapter)) fail(`cmake --install put no ${path.relative(ext, adapter)}`);
const modules = fs.existsSync(runtime) ? fs.readdirSync(runtime).filter((n) => /^_dapper_runtime\..*\.so$/.test(n)) : [];
if (modules.length === 0) fail(`no runtime module in ${path.relative(ext, runtime)}`);
if (!fs.existsSync(path.join(runtime, 'boot', 'sitecustomize.py'))) fail('the runtime has no boot/sitecustomize.py');
console.log(`package: adapter and runtime for ${modules.join(', ')}`);

const vsce = path.join(ext, 'node_modules', '@vscode', 'vsce', 'vsce');
if (!fs.existsSync(vsce)) fail('@vscode/vsce is not installed: run `npm ci` in vscode-extension/');
sh(process.execPath, [vsce, 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository',
  '--target', target, '--out', out], ext);
