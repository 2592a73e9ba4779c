// The Policy language in VS Code: highlighting comes from the TextMate grammar
// (syntaxes/policy.tmLanguage.json, a link to Grammar/policy.tmLanguage.json); everything
// else (diagnostics, hover, completion, …) from the language server, `policy lsp`, spoken to
// over stdio. The `policy.path` setting names the executable (default: `policy` on PATH).
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function serverOptions() {
  const command = vscode.workspace.getConfiguration('policy').get('path') || 'policy';
  const run = { command, args: ['lsp'], transport: TransportKind.stdio };
  return { run, debug: run };
}

async function start(context) {
  client = new LanguageClient('policy', 'Policy language server', serverOptions(), {
    documentSelector: [{ scheme: 'file', language: 'policy' }, { scheme: 'untitled', language: 'policy' }],
  });
  try {
    await client.start();
  } catch (error) {
    const command = vscode.workspace.getConfiguration('policy').get('path') || 'policy';
    vscode.window.showErrorMessage(
      `Policy: could not start the language server \`${command} lsp\` (${error.message || error}). ` +
        'Set "policy.path" to the policy executable.'
    );
  }
}

async function stop() {
  if (client) {
    const c = client;
    client = undefined;
    await c.stop().catch(() => {});
  }
}

async function activate(context) {
  await start(context);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('policy.path')) {
        await stop();
        await start(context);
      }
    })
  );
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
