// Runs one bundled Lambda function (cdk.out/asset.*/index.js) the way the Node.js runtime does: a process of its own
// with the function's environment, the module loaded once, then one invocation per message. Plain JavaScript, so
// no TypeScript loader sits between the bundle and Node.js. Protocol (IPC): { id, event } -> { id, ok, result } or
// { id, ok: false, errorType, errorMessage }.
'use strict';

const [modulePath, exportName, functionName, timeoutMs] = process.argv.slice(2);
const handler = require(modulePath)[exportName];
if (typeof handler !== 'function') {
  throw new Error(`${modulePath} exports no function ${exportName}`);
}

process.on('message', async ({ id, event }) => {
  const deadline = Date.now() + Number(timeoutMs);
  const context = {
    functionName,
    awsRequestId: id,
    logStreamName: `local/${functionName}`,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
  try {
    const result = await handler(event, context);
    process.send({ id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    // Step Functions matches Retry and Catch on the error's name, as Lambda reports it (errorType).
    const errorType = error && typeof error.name === 'string' ? error.name : 'Error';
    const errorMessage = error && typeof error.message === 'string' ? error.message : String(error);
    process.send({ id, ok: false, errorType, errorMessage });
  }
});
