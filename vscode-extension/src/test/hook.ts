// mocha --require: makes require('vscode') load vscode-stub.ts.
import Module = require('module');
import * as path from 'path';

const stub = path.join(__dirname, 'vscode-stub.js');
const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const resolve = M._resolveFilename;
M._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? stub : resolve.call(this, request, ...rest);
};
