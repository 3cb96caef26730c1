import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { AgentError, exitCodeOf, isDiskFull, whereDiskFull } from './errors.js';
import { GitError } from './git/exec.js';

/**
 * The command line. The one place that turns errors into messages and exit codes: 0 success,
 * 1 the task or command failed, 2 bad usage, 130 interrupted. Command modules are loaded only
 * when their command runs, so `agent --version` and `agent list` stay fast.
 */

const version = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function buildProgram(): Command {
  const program = new Command('agent')
    .description('hunkwise: a local-first coding agent. Every edit is a hunk you approve; every step is a commit.')
    .version(version(), '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('task')
    .description('start a task on a new branch in its own worktree (or continue one with --resume)')
    .argument('[instruction]', 'what the agent should do (with --resume: a follow-up instruction)')
    .option('--model <provider/model>', 'the model for this task, e.g. ollama/qwen2.5-coder:7b')
    .option('--base <ref>', 'start from this branch or commit instead of HEAD')
    .option('--resume <task>', 'continue a task (id, id prefix or branch) with its conversation')
    .option('--approve <classes>', 'approve these without asking: read, edit, run (comma list) or all')
    .addOption(new Option('--max-steps <n>', 'stop after this many model turns').argParser(positiveInt).default(100))
    .option('--json', 'print one JSON event per line instead of the terminal view')
    .action(async (instruction: string | undefined, options) => {
      const { taskCommand } = await import('./commands/task.js');
      await taskCommand(instruction, options);
    });

  program
    .command('list')
    .description('the open tasks of this repository (--all: merged and aborted ones too)')
    .option('--all', 'also the merged and aborted tasks')
    .option('--json', 'print JSON')
    .action(async (options) => (await import('./commands/list.js')).listCommand(options));

  program
    .command('show')
    .description("a task's instruction, its commits with their audit trailers, and its diff against the base")
    .argument('<task>', 'id, id prefix or branch')
    .option('--stat', 'the diffstat instead of the whole diff')
    .option('--json', 'print JSON')
    .action(async (task: string, options) => (await import('./commands/show.js')).showCommand(task, options));

  program
    .command('review')
    .description('what show shows, and the errors the branch adds against its base (asked of the language servers)')
    .argument('<task>', 'id, id prefix or branch')
    .option('--stat', 'the diffstat instead of the whole diff')
    .option('--json', 'print JSON')
    .action(async (task: string, options) => (await import('./commands/show.js')).showCommand(task, { ...options, errors: true }));

  program
    .command('merge')
    .description('merge the task branch into its base branch (a --no-ff merge commit by default)')
    .argument('<task>', 'id, id prefix or branch')
    .addOption(new Option('--squash', 'one squashed commit instead of a merge commit').conflicts('ffOnly'))
    .option('--ff-only', 'fast-forward only')
    .option('--force', 'merge even when the branch adds errors (without a terminal, the only way to)')
    .option('--json', 'print JSON')
    .action(async (task: string, options) => (await import('./commands/merge.js')).mergeCommand(task, options));

  program
    .command('undo')
    .description("drop the task's last step commit (kept under refs/hunkwise/undone/)")
    .argument('<task>', 'id, id prefix or branch')
    .option('--json', 'print JSON')
    .action(async (task: string, options) => (await import('./commands/undo.js')).undoCommand(task, options));

  program
    .command('abort')
    .description('give a task up: remove its worktree and branch, keep its history under refs/hunkwise/aborted/')
    .argument('<task>', 'id, id prefix or branch')
    .option('--json', 'print JSON')
    .action(async (task: string, options) => (await import('./commands/abort.js')).abortCommand(task, options));

  program
    .command('prune')
    .description('remove worktrees and state of merged and aborted tasks, and worktrees deleted by hand')
    .option('--force', 'also remove worktrees that hold changes no step has')
    .option('--json', 'print JSON')
    .action(async (options) => (await import('./commands/prune.js')).pruneCommand(options));

  program
    .command('models')
    .description("the models a provider has, with size, context length and tool calling (default: the configured model's provider)")
    .argument('[provider]', 'a configured provider, e.g. ollama or lmstudio (a remote one is contacted only when named here)')
    .option('--json', 'print JSON')
    .action(async (provider: string | undefined, options) => (await import('./commands/models.js')).modelsCommand(provider, options));

  program
    .command('doctor')
    .description('check git, the model server, the configured model and the language servers; say how to fix each problem')
    .option('--model <provider/model>', 'check this model instead of the configured one (the only way to check a remote one)')
    .option('--json', 'print JSON')
    .action(async (options) => (await import('./commands/doctor.js')).doctorCommand(options));

  program
    .command('stats')
    .description('what the agent did here, from the audit log: tasks, steps and hunks per day, by model and by locality')
    .option('--since <date>', 'only commits since this date (as git log --since: 2026-11-01, "2 weeks ago")')
    .option('--json', 'print JSON')
    .action(async (options) => (await import('./commands/stats.js')).statsCommand(options));

  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish (commands, options, task ids)')
    .argument('<shell>', 'bash, zsh or fish')
    .action(async (shell: string) => (await import('./commands/completion.js')).completionCommand(shell));

  // What the completion scripts call: the candidates for the word at <index> of the command line.
  program
    .command('__complete', { hidden: true })
    .argument('<index>')
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (index: string, words: string[]) => (await import('./commands/completion.js')).completeCommand(program, index, words));

  program.addHelpText('after', `${examples(EXAMPLES.agent ?? [])}\nRun agent <command> --help for a command's options and examples.\n`);
  for (const command of program.commands) {
    const lines = EXAMPLES[command.name()];
    if (lines) command.addHelpText('after', examples(lines));
  }
  return program;
}

/** Examples at the end of each help: a command line and what it does. */
const EXAMPLES: Record<string, [string, string][]> = {
  agent: [
    ['agent doctor', 'check git, Ollama, the model and the language servers'],
    ['agent task "rename parseConfig to loadConfig"', 'start a task: approve each action and each hunk'],
    ['agent list', 'the tasks of this repository'],
    ['agent review k3x9fz', 'what task k3x9fz did: its steps, their audit trailers, its diff'],
    ['agent merge k3x9fz', 'merge it into the branch it started from'],
  ],
  task: [
    ['agent task "add a --verbose flag to the CLI"', 'a new task on its own branch and worktree'],
    ['agent task --approve read "explain the retry logic"', 'reads without asking; edits and commands still asked'],
    ['agent task --base release-2.1 "backport the fix for #412"', 'start from another branch'],
    ['agent task --model openrouter/qwen/qwen3-coder "..."', 'a remote model, for this task only (recorded in every commit)'],
    ['agent task --resume k3x9fz "also update the README"', 'continue a task with a follow-up instruction'],
  ],
  list: [
    ['agent list', 'id, status, steps, model, base, age and branch of each task'],
    ['agent list --json', 'the same as JSON'],
  ],
  show: [
    ['agent review k3x9fz', 'the instruction, each step commit with its trailers, the diff (in the pager)'],
    ['agent show k3x9 --stat', 'by an id prefix, the diffstat only'],
  ],
  merge: [
    ['agent merge k3x9fz', 'a --no-ff merge commit on the base branch'],
    ['agent merge k3x9fz --squash', 'one commit with the steps in its message'],
  ],
  undo: [['agent undo k3x9fz', 'take back the last step; the worktree goes back too']],
  abort: [['agent abort k3x9fz', 'give the task up; its history stays under refs/hunkwise/aborted/']],
  prune: [['agent prune', 'remove what merged and aborted tasks left behind']],
  models: [
    ['agent models', "the models of the configured model's provider (Ollama by default)"],
    ['agent models lmstudio --json', 'another configured provider, as JSON'],
  ],
  doctor: [
    ['agent doctor', 'each check with ✓, ! or ✗ and the command that fixes it'],
    ['agent doctor --model openai/gpt-4.1', 'check a remote model (contacted only when named)'],
  ],
  stats: [
    ['agent stats', 'totals, a chart of hunks per day, tasks by model and by locality'],
    ['agent stats --since "2 weeks ago" --json', 'the last two weeks, as JSON'],
  ],
  completion: [
    ['source <(agent completion bash)', 'bash: put this line in ~/.bashrc'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a zsh parameter, printed as it is
    ['agent completion zsh > "${fpath[1]}/_agent"', 'zsh: install it where compinit finds it'],
    ['agent completion fish > ~/.config/fish/completions/agent.fish', 'fish'],
  ],
};

function examples(lines: [string, string][]): string {
  return `\nExamples:\n${lines.map(([line, what]) => `  # ${what}\n  $ ${line}`).join('\n')}\n`;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AgentError(`'${value}' is not a positive whole number.`, { kind: 'usage' });
  return n;
}

/** Prints an error for a person and returns the exit code. */
function report(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return 0;
    return 2;
  }
  if (error instanceof AgentError) {
    process.stderr.write(`agent: ${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
    return exitCodeOf(error.kind);
  }
  if (isDiskFull(error)) {
    process.stderr.write(
      `agent: The disk is full (no space left on device, ${whereDiskFull(error)}); the command stopped there.\n` +
        'Free some space (df -h shows how much is left where), then run the command again.\n',
    );
    return 1;
  }
  if (error instanceof GitError) {
    process.stderr.write(`agent: git ${error.subcommand} failed (exit ${error.code}):\n${error.stderr.trim()}\n`);
    return 1;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`agent: unexpected error: ${text}\nPlease report it with the command you ran.\n`);
  return 1;
}

export async function main(argv: string[]): Promise<void> {
  // A reader that stopped reading (agent list | head -1) ends the command quietly, with the status
  // git has then (killed by SIGPIPE, which Node ignores: its writes fail with EPIPE instead).
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(128 + 13);
  });
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
  } catch (error) {
    process.exitCode = report(error);
  }
}
