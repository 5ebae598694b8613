#!/usr/bin/env node
// `authdb-dr ...` (npx, npm link, or installed from the npm pack tarball): runs the CLI that `npm run build`
// bundled into dist/cli.cjs. No TypeScript loader at run time.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const bundle = path.join(__dirname, '..', 'dist', 'cli.cjs');
if (!fs.existsSync(bundle)) {
  process.stderr.write(`authdb-dr is not built: run \`npm run build\` in ${path.join(__dirname, '..')}\n`);
  process.exit(2);
}

// Output into a closed pipe (`authdb-dr --help | head -1`) ends quietly: the reader has what it wanted.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error?.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

// authdb-dr supports Node.js 22 (package.json engines, the Lambda runtime). On an older Node the AWS SDK prints a
// seven-line banner before every first call; say it once, in one line, instead.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (process.stderr.isTTY) {
    process.stderr.write(`authdb-dr: Node.js ${process.version} is not supported; use Node.js 22 or newer.\n`);
  }
}

const { main } = require(bundle);
const { version } = require('../package.json');

main(process.argv.slice(2), version).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
