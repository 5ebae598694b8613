#!/usr/bin/env node
// `npx authdb-dr ...`: runs the TypeScript CLI (cli/main.ts) through tsx's CommonJS loader.
'use strict';

const path = require('node:path');
const { register } = require('tsx/cjs/api');

register();
const { main } = require(path.join(__dirname, '..', 'cli', 'main.ts'));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
