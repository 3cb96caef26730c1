import { posix } from 'node:path';
import { git } from './exec.js';
import { ask, ignoreRules } from './queries.js';

/**
 * What the branch tip holds at the paths of a proposal and at their parent folders, for the things
 * a step must not write as plain files: a submodule (a gitlink, mode 160000) or a path inside one,
 * and a symbolic link (mode 120000) or a path beyond one. One `git ls-tree` for all.
 */

export type PathShape =
  | { kind: 'plain' }
  | { kind: 'submodule'; at: string }
  | { kind: 'link'; at: string };

const GITLINK = '160000';
const SYMLINK = '120000';

export async function pathShapes(worktree: string, paths: string[]): Promise<Map<string, PathShape>> {
  const prefixes = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    for (let depth = 1; depth <= parts.length; depth++) prefixes.add(parts.slice(0, depth).join('/'));
  }
  const modes = new Map<string, string>();
  if (prefixes.size > 0) {
    const { stdout } = await git(['ls-tree', '-z', 'HEAD', '--', ...prefixes], {
      cwd: worktree,
      env: { GIT_LITERAL_PATHSPECS: '1' },
    });
    for (const entry of stdout.split('\0')) {
      const tab = entry.indexOf('\t');
      if (tab > 0) modes.set(entry.slice(tab + 1), entry.slice(0, entry.indexOf(' ')));
    }
  }
  const shapes = new Map<string, PathShape>();
  for (const path of paths) {
    const parts = path.split('/');
    let shape: PathShape = { kind: 'plain' };
    for (let depth = 1; depth <= parts.length; depth++) {
      const at = parts.slice(0, depth).join('/');
      const mode = modes.get(at);
      if (mode === GITLINK) shape = { kind: 'submodule', at };
      else if (mode === SYMLINK) shape = { kind: 'link', at };
      if (shape.kind !== 'plain') break;
    }
    shapes.set(path, shape);
  }
  return shapes;
}

/** Why a step does not write `path`, or undefined when it may. `target` is the link's text, when known. */
export function shapeRefusal(path: string, shape: PathShape, target?: string): string | undefined {
  if (shape.kind === 'submodule') {
    return shape.at === path
      ? `${path} is a submodule: hunkwise does not change which commit it points to; do that in the submodule yourself.`
      : `${path} is inside the submodule ${shape.at}: hunkwise does not edit submodules; make that change in the submodule's own repository.`;
  }
  if (shape.kind === 'link') {
    const real = target === undefined ? undefined : posix.normalize(posix.join(posix.dirname(shape.at), target));
    const where = real && !real.startsWith('../') && !posix.isAbsolute(real) ? ` Edit ${real}${path === shape.at ? '' : path.slice(shape.at.length)} instead.` : '';
    return path === shape.at
      ? `${path} is a symbolic link${target ? ` to ${target}` : ''}: hunkwise keeps links as links.${where}`
      : `${path} is under ${shape.at}, a symbolic link${target ? ` to ${target}` : ''}.${where}`;
  }
  return undefined;
}

/** Git LFS's pointer file: the content of the real file is elsewhere. */
export const isLfsPointer = (text: string): boolean => text.startsWith('version https://git-lfs.github.com/spec/v1\n');

/** For each path the repository ignores: where and by what pattern (`.gitignore:3:*.local`). */
export async function ignoredBy(worktree: string, paths: string[]): Promise<Map<string, string>> {
  if (paths.length === 0) return new Map();
  return ask(ignoreRules(paths), { cwd: worktree });
}
