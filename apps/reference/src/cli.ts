#!/usr/bin/env node
/**
 * vcm-ref: every walk-through of the VCMM source documents, runnable and
 * checked. One subcommand per walk-through; `all` (also what runs when no
 * subcommand is given) runs `memory` and then every walk-through in order;
 * `board` validates and describes the board.
 *
 * Exit codes: 0 every check passed (skipped walk-throughs do not count as
 * failures); 1 a check failed; 2 bad usage or an invalid `--board` file.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { UsageError, defaultBoard, loadBoardFile } from './board.js';
import { DUMP_FORMATS, dumpCommand } from './commands/dump.js';
import type { DumpCommandOptions } from './commands/dump.js';
import { loadScenarioFile, parseJobs, renderScenarioText, runScenarioFile } from './commands/run.js';
import { TRACE_FORMATS, traceCommand } from './commands/trace.js';
import type { TraceCommandOptions } from './commands/trace.js';
import { renderVerifyText, verifyDump, verifyJson } from './commands/verify.js';
import { walkCommand } from './commands/walk.js';
import type { BoardChoice } from './board.js';
import { describeBoard } from './describe-board.js';
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
  frames?: string;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/** Run `body`; a `UsageError` (bad `--board`, bad injection) is printed to stderr as exit 2. */
function usage(body: () => number): number {
  try {
    return body();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`vcm-ref: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

/** Print a command's output: it succeeded. */
function emit(text: string): number {
  process.stdout.write(text);
  return EXIT_OK;
}

function chooseBoard(opts: GlobalOptions): BoardChoice {
  return opts.board === undefined ? defaultBoard() : loadBoardFile(opts.board);
}

function execute(selected: readonly Walkthrough[], opts: GlobalOptions): number {
  return usage(() => {
    const board = chooseBoard(opts);
    const injectText = opts.inject ?? process.env['VCM_REF_FAULT_INJECT'];
    const inject: Injection | undefined = parseInjection(injectText);
    if (injectText !== undefined && injectText !== '' && inject === undefined) {
      throw new UsageError(`unknown fault injection ${JSON.stringify(injectText)} (allowed: ${INJECTIONS.join(', ')})`);
    }
    const frames = parseFrames(opts.frames, selected);
    const json = opts.json === true;
    const progress = json ? silentProgress : createProgress(process.stderr);
    const report = runAll(selected, { board, verbose: opts.verbose === true, inject, progress, ...(frames === undefined ? {} : { frames }) });
    progress.done();
    if (json) process.stdout.write(renderJson(report));
    else process.stdout.write(renderText(report, { style: createStyle(colourWanted()) }));
    return report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
  });
}

/** `--frames <n>`: a whole number from 1 to the walk-through's maximum. */
function parseFrames(text: string | undefined, selected: readonly Walkthrough[]): number | undefined {
  if (text === undefined) return undefined;
  const max = Math.min(...selected.map((w) => w.frames?.max ?? 0));
  const n = /^[0-9]{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max)) throw new UsageError(`--frames ${JSON.stringify(text)}: not a number of frames (allowed: a whole number from 1 to ${max})`);
  return n;
}

function board(opts: GlobalOptions & { print?: boolean }): number {
  return usage(() => {
    const choice = chooseBoard(opts);
    if (opts.print === true || opts.json === true) process.stdout.write(`${JSON.stringify(choice.board, null, 2)}\n`);
    else process.stdout.write(describeBoard(choice, WALKTHROUGHS, createStyle(colourWanted())));
    return EXIT_OK;
  });
}

/** `run <scenario>`: the whole file is checked and run before anything is printed, so an invalid one leaves stdout empty (exit 2). */
async function runFile(file: string, opts: GlobalOptions & { jobs?: string }): Promise<number> {
  try {
    const jobs = parseJobs(opts.jobs);
    const loaded = loadScenarioFile(file);
    const json = opts.json === true;
    const { report, ok } = await runScenarioFile(loaded, json ? silentProgress : createProgress(process.stderr), jobs);
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderScenarioText(report, createStyle(colourWanted())));
    return ok ? EXIT_OK : EXIT_CHECK_FAILED;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`vcm-ref: ${e.message}\n`);
    return EXIT_USAGE;
  }
}

export function buildProgram(onResult: (code: number) => void): Command {
  const program = new Command('vcm-ref')
    .description(
      'Every walk-through of the Virtual Contiguous Memory Manager documents, run on a simulated SoC (default board: msm8x60Board()) with named checks.\nA walk-through that needs something the board lacks is skipped with the reason.\nExit codes: 0 no check failed, 1 a check failed, 2 bad usage or invalid --board file.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--board <file.json>', 'run on the board described in this JSON file (validated by @vcm/devtree)')
    .option('--json', 'print the whole run as one JSON document')
    .option('-v, --verbose', 'add page-table dumps and state snapshots')
    .option('--color', 'colour even when stdout is not a terminal (as FORCE_COLOR)')
    .option('--no-color', 'never colour (as NO_COLOR)')
    .addOption(new Option('--inject <fault>', 'testing aid: break an invariant between two steps (corrupt-pte: write a bad page-table word through PhysicalMemory)').choices(INJECTIONS))
    .showSuggestionAfterError()
    .showHelpAfterError('(run vcm-ref --help for usage)')
    .exitOverride();

  const options = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();
  for (const w of WALKTHROUGHS) {
    const command = program
      .command(w.id)
      .description(`${w.title} (${w.source})`)
      .action((_opts: unknown, cmd: Command) => onResult(execute([w], options(cmd))));
    if (w.frames !== undefined) command.option('--frames <n>', w.frames.help);
  }
  program
    .command('all')
    .description(`run ${WALKTHROUGHS.map((w) => w.id).join(', ')} in order (what runs without a subcommand)`)
    .action((_opts: unknown, cmd: Command) => onResult(execute(WALKTHROUGHS, options(cmd))));
  program
    .command('board')
    .description('validate the board and say which walk-throughs it can run (--print: the board as validateBoard normalises it, JSON)')
    .option('--print', 'print the normalised board as JSON')
    .action((_opts: unknown, cmd: Command) => onResult(board(cmd.optsWithGlobals())));

  program
    .command('run')
    .description('run a scenario file (YAML or JSON: board, buffers, spaces, mappings, traffic, sweep, expect; docs/scenarios.md); exit 1 when an expectation fails, 2 when the file is invalid')
    .argument('<scenario>', 'the scenario file, e.g. examples/scenarios/video-playback.yaml')
    .option('--jobs <n>', "a sweep's points on n worker threads (default: the available cores; 1: one after another)")
    .action(async (file: string, _opts: unknown, cmd: Command) => onResult(await runFile(file, cmd.optsWithGlobals())));

  program
    .command('dump')
    .description("the page tables of an SMMU context (--ctx) or the CPU (--cpu) after a scenario's set-up, or on --board's fresh platform: ptdump-style text, JSON (every table's bytes, the registers), or loadable images and manifest.json (docs/scenarios.md#page-table-images)")
    .argument('[scenario]', 'the scenario file (or give --board <file.json>)')
    .option('--ctx <name>', 'the SMMU context, e.g. mdp0_port0')
    .option('--cpu', "the CPU's tables (TTBR0: the current process, TTBR1: the kernel)")
    .addOption(new Option('--format <format>', 'text (ptdump-style), json, or bin (images + manifest.json)').choices(DUMP_FORMATS).default('text'))
    .option('--out <dir>', 'write into this directory (bin: default ./page-tables-<device>)')
    .action((file: string | undefined, _opts: unknown, cmd: Command) => onResult(usage(() => emit(dumpCommand(file, cmd.optsWithGlobals<DumpCommandOptions & GlobalOptions>())))));
  program
    .command('walk')
    .description("the walk the device's MMU does for one address, level by level: each entry, its descriptor and meaning, then the leaf or the fault (docs/scenarios.md#walks)")
    .argument('<args...>', '[scenario] <va>: the scenario file (or give --board <file.json>) and the input address, e.g. 0x1000_1234')
    .option('--ctx <name>', 'the SMMU context, e.g. mdp0_port0')
    .option('--cpu', "the CPU's walk")
    .action((args: string[], _opts: unknown, cmd: Command) =>
      onResult(
        usage(() => {
          if (args.length > 2) throw new UsageError(`walk takes [scenario] <va>, got ${args.length} arguments`);
          return emit(walkCommand(args.length === 2 ? args[0] : undefined, args[args.length - 1]!, cmd.optsWithGlobals()));
        }),
      ),
    );
  program
    .command('trace')
    .description("every physical memory access of a scenario's streamed traffic, data bursts and table-walk reads alike, with the cycle where an SMMU is clocked: a DRAMSys .stl trace or CSV (docs/scenarios.md#memory-traces)")
    .argument('<scenario>', 'the scenario file, e.g. examples/scenarios/tlb-study.yaml')
    .addOption(new Option('--format <format>', 'stl (DRAMSys trace player) or csv').choices(TRACE_FORMATS).default('stl'))
    .option('--out <file>', 'write the trace here instead of stdout')
    .action((file: string, _opts: unknown, cmd: Command) =>
      onResult(
        usage(() => {
          const { summary, toStdout } = traceCommand(file, cmd.optsWithGlobals<TraceCommandOptions>());
          (toStdout ? process.stdout : process.stderr).write(summary);
          return EXIT_OK;
        }),
      ),
    );
  program
    .command('verify')
    .description("load the images of dump --format bin with the dumped registers into QEMU's MMU and check that every leaf translates to the manifest's physical address (needs qemu-system-arm); exit 1 on a difference (docs/scenarios.md#checking-images-in-qemu)")
    .argument('<dump-dir>', 'a directory written by vcm-ref dump --format bin --out <dir>')
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      try {
        const r = await verifyDump(dir);
        process.stdout.write(options(cmd).json === true ? `${JSON.stringify(verifyJson(r), null, 2)}\n` : renderVerifyText(r));
        onResult(r.ok ? EXIT_OK : EXIT_CHECK_FAILED);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`vcm-ref: ${e.message}\n`);
        onResult(EXIT_USAGE);
      }
    });

  // No subcommand runs `all`. This is the program's own action rather than
  // commander's default command, which would take a mistyped subcommand
  // (`walkthroug`) as an argument of `all` ("too many arguments") instead of
  // saying "did you mean walkthrough".
  program.allowExcessArguments(true).action((_opts: unknown, cmd: Command) => {
    if (cmd.args.length > 0) unknownCommand(cmd);
    onResult(execute(WALKTHROUGHS, options(cmd)));
  });
  return program;
}

/**
 * Reject `cmd.args[0]` as a command name the way commander does when it
 * finds no subcommand: "error: unknown command 'walkthroug'" and, from
 * commander's own edit-distance search over the command names, "(Did you
 * mean walkthrough?)". The method is commander's (14.x), not in its types.
 */
function unknownCommand(cmd: Command): never {
  const own = (cmd as unknown as { unknownCommand?: () => never }).unknownCommand;
  if (typeof own === 'function') own.call(cmd);
  return cmd.error(`error: unknown command '${cmd.args[0] ?? ''}' (commands: ${cmd.commands.map((c) => c.name()).join(', ')})`, { code: 'commander.unknownCommand' });
}

/** The user's arguments: `pnpm start -- --json` passes the `--` on, and it means nothing here. */
export function userArgs(argv: readonly string[]): string[] {
  const args = argv.slice(2);
  return args[0] === '--' ? args.slice(1) : args;
}

async function main(argv: readonly string[]): Promise<void> {
  let code = EXIT_OK;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    // parseAsync: `run` waits for its sweep's worker threads.
    await program.parseAsync(userArgs(argv), { from: 'user' });
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

await main(process.argv);
