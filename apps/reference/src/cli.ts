#!/usr/bin/env node
/**
 * vcm-ref: every walk-through of the VCMM source documents, runnable and
 * checked. One subcommand per walk-through; `all` (the default)
 * runs `memory` and then every walk-through in order.
 *
 * Exit codes: 0 every check passed; 1 a check failed; 2 bad usage or an
 * invalid `--board` file.
 */
import { Command, CommanderError, Option } from 'commander';
import { UsageError, defaultBoard, loadBoardFile } from './board.js';
import type { BoardChoice } from './board.js';
import { INJECTIONS, parseInjection } from './inject.js';
import type { Injection } from './inject.js';
import { createProgress, silentProgress } from './progress.js';
import { renderJson } from './render-json.js';
import { renderText } from './render-text.js';
import { runAll } from './run.js';
import { colourWanted, createStyle } from './style.js';
import { WALKTHROUGHS } from './walkthroughs/index.js';
import type { Walkthrough } from './walkthroughs/types.js';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;

interface GlobalOptions {
  board?: string;
  json?: boolean;
  verbose?: boolean;
  inject?: string;
}

function execute(selected: readonly Walkthrough[], opts: GlobalOptions): number {
  let board: BoardChoice;
  let inject: Injection | undefined;
  try {
    board = opts.board === undefined ? defaultBoard() : loadBoardFile(opts.board);
    const injectText = opts.inject ?? process.env['VCM_REF_FAULT_INJECT'];
    inject = parseInjection(injectText);
    if (injectText !== undefined && injectText !== '' && inject === undefined) {
      throw new UsageError(`unknown fault injection ${JSON.stringify(injectText)} (allowed: ${INJECTIONS.join(', ')})`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`vcm-ref: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  const json = opts.json === true;
  const progress = json ? silentProgress : createProgress(process.stderr);
  const report = runAll(selected, { board, verbose: opts.verbose === true, inject, progress });
  progress.done();
  if (json) process.stdout.write(renderJson(report));
  else process.stdout.write(renderText(report, { style: createStyle(colourWanted(process.stdout, process.env)) }));
  return report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
}

export function buildProgram(onResult: (code: number) => void): Command {
  const program = new Command('vcm-ref')
    .description(
      'Every walk-through of the Virtual Contiguous Memory Manager documents, run on a simulated SoC (default board: msm8x60Board()) with named checks.\nExit codes: 0 all checks passed, 1 a check failed, 2 bad usage or invalid --board file.',
    )
    .option('--board <file.json>', 'run on the board described in this JSON file (validated by @vcm/devtree)')
    .option('--json', 'print the whole run as one JSON document')
    .option('-v, --verbose', 'add page-table dumps and state snapshots')
    .addOption(new Option('--inject <fault>', 'testing aid: break an invariant between two steps (corrupt-pte: write a bad page-table word through PhysicalMemory)').choices(INJECTIONS))
    .showHelpAfterError()
    .exitOverride();

  const options = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();
  for (const w of WALKTHROUGHS) {
    program
      .command(w.id)
      .description(`${w.title} (${w.source})`)
      .action((_opts: unknown, cmd: Command) => onResult(execute([w], options(cmd))));
  }
  program
    .command('all', { isDefault: true })
    .description(`run ${WALKTHROUGHS.map((w) => w.id).join(', ')} in order (the default)`)
    .action((_opts: unknown, cmd: Command) => onResult(execute(WALKTHROUGHS, options(cmd))));
  return program;
}

function main(argv: readonly string[]): void {
  let code = EXIT_OK;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    program.parse(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; anything else commander rejects is bad usage.
      code = e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
    } else {
      throw e;
    }
  }
  process.exitCode = code;
}

main(process.argv);
