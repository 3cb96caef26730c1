import type { Command, Option } from 'commander';
import { usageError } from '../errors.js';
import { isClosed } from '../git/task-store.js';

/**
 * Shell completion. `agent completion <shell>` prints a few lines of glue for bash, zsh or fish;
 * the glue asks `agent __complete -- <index> <words...>` for the candidates of the word at <index>
 * of the command line, so there is one logic for all three shells, read off the commander program
 * itself: commands and aliases, each command's options, and the values of arguments hunkwise
 * knows (task ids with their instructions, approval classes, configured providers, shells).
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

const SCRIPTS: Record<Shell, string> = {
  bash: `# agent completion for bash. Load it in ~/.bashrc with: source <(agent completion bash)
_agent() {
  local IFS=$'\\n' line
  COMPREPLY=()
  for line in $(agent __complete -- "$COMP_CWORD" "\${COMP_WORDS[@]}" 2>/dev/null); do
    COMPREPLY+=("\${line%%$'\\t'*}")
  done
}
complete -F _agent agent
`,
  zsh: `#compdef agent
# agent completion for zsh. Install it with: agent completion zsh > "\${fpath[1]}/_agent"
# (or load it in ~/.zshrc after compinit with: source <(agent completion zsh))
_agent() {
  local -a lines described
  local line
  lines=("\${(@f)$(agent __complete -- $((CURRENT - 1)) "\${words[@]}" 2>/dev/null)}")
  for line in "\${lines[@]}"; do
    [[ -n $line ]] || continue
    if [[ $line == *$'\\t'* ]]; then
      described+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
    else
      described+=("\${line//:/\\\\:}")
    fi
  done
  _describe -t values agent described
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _agent "$@"
else
  compdef _agent agent
fi
`,
  fish: `# agent completion for fish. Install it with: agent completion fish > ~/.config/fish/completions/agent.fish
function __agent_complete
    set -l words (commandline -opc) (commandline -ct)
    agent __complete -- (math (count $words) - 1) $words 2>/dev/null
end
complete -c agent -f -a '(__agent_complete)'
`,
};

export function completionCommand(shell: string): void {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw usageError(`agent completion does not know the shell '${shell}'.`, `Name one of ${SHELLS.join(', ')}: agent completion bash`);
  }
  process.stdout.write(SCRIPTS[shell as Shell]);
}

/** A candidate and what it is (shown by zsh and fish; bash shows the candidate alone). */
interface Candidate {
  value: string;
  description?: string;
}

/** Prints the candidates for `words[index]`, one per line, `value<TAB>description`. */
export async function completeCommand(program: Command, index: string, words: string[]): Promise<void> {
  const at = Number(index);
  if (!Number.isInteger(at) || at < 1 || at > words.length) return;
  const current = words[at] ?? '';
  const candidates = await candidatesFor(program, words.slice(1, at), current).catch(() => []);
  const lines = candidates.filter((c) => c.value.startsWith(current)).map((c) => (c.description ? `${c.value}\t${oneLine(c.description)}` : c.value));
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

async function candidatesFor(program: Command, before: string[], current: string): Promise<Candidate[]> {
  const [name, ...rest] = before;
  if (name === undefined) {
    if (current.startsWith('-')) return optionsOf(program, []);
    return commandsOf(program);
  }
  // `agent help <command>`: commander's own help command is not among program.commands.
  if (name === 'help') return rest.length === 0 ? commandsOf(program) : [];
  const command = program.commands.find((c) => c.name() === name || c.aliases().includes(name));
  if (!command) return [];
  // The value of an option that takes one.
  const previous = rest.at(-1);
  const option = previous === undefined ? undefined : command.options.find((o) => o.long === previous || o.short === previous);
  if (option && (option.required || option.optional)) return valuesOf(placeholder(option.flags), program, command.name());
  if (current.startsWith('-')) return optionsOf(command, rest);
  const argument = command.registeredArguments[positionals(command, rest).length];
  return argument ? valuesOf(argument.name(), program, command.name()) : [];
}

/** Commands that read a task whatever became of it; the others act on open tasks only. */
const READS_ANY_TASK = new Set(['show', 'review']);

/** The commands `agent --help` shows, with their aliases. */
const commandsOf = (program: Command): Candidate[] =>
  program
    .createHelp()
    .visibleCommands(program)
    .flatMap((c) => [c.name(), ...c.aliases()].map((value) => ({ value, description: c.description() })));

/** The options `agent <command> --help` shows, but those already given. */
const optionsOf = (command: Command, given: string[]): Candidate[] =>
  command
    .createHelp()
    .visibleOptions(command)
    .filter((o) => !given.includes(o.long ?? '') && !given.includes(o.short ?? ''))
    .flatMap((o) => [o.long, o.short].filter((flag): flag is string => flag !== undefined).map((value) => ({ value, description: o.description })));

/** The positional words among `words`: not options, nor the values of options that take one. */
function positionals(command: Command, words: string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (!word.startsWith('-')) {
      found.push(word);
      continue;
    }
    const option = command.options.find((o: Option) => o.long === word || o.short === word);
    if (option?.required || option?.optional) i++;
  }
  return found;
}

/** The name between < > or [ ] in an option's flags: `--resume <task>` → `task`. */
const placeholder = (flags: string): string => /[<[]([^>\]]+)[>\]]/.exec(flags)?.[1] ?? '';

/** The values hunkwise knows for an argument or an option value of `command`, by its name. */
async function valuesOf(name: string, program: Command, command: string): Promise<Candidate[]> {
  switch (name) {
    case 'task': {
      const { listTasks } = await import('./list.js');
      const tasks = await listTasks(process.cwd());
      // A merged or aborted task cannot be merged, undone, aborted or resumed again: not offered there.
      const offered = READS_ANY_TASK.has(command) ? tasks : tasks.filter((t) => !isClosed(t));
      return offered.map((t) => ({ value: t.id, description: `${t.status}: ${t.instruction}` }));
    }
    case 'classes':
      return ['read', 'edit', 'run', 'all'].map((value) => ({ value }));
    case 'provider': {
      const { loadConfig } = await import('../config/load.js');
      return Object.keys(loadConfig(undefined).providers).map((value) => ({ value }));
    }
    case 'shell':
      return SHELLS.map((value) => ({ value }));
    case 'command':
      return commandsOf(program);
    default:
      return [];
  }
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 80);
